"""The HTTP API: Flask routes around the pricing rules, answering in JSON."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from pricing.model import InvalidRequest
from pricing.rules import DEFAULT_RULES, RuleSet, price
from pricing.validation import parse_basket

MAX_BODY = 64 * 1024

Headers = list[tuple[str, str]]


def create_app(rules: RuleSet = DEFAULT_RULES) -> Flask:
    """A pricing app applying `rules`."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False  # keep quotes in the order a person reads them
    app.register_error_handler(InvalidRequest, _invalid_request)
    app.register_error_handler(HTTPException, _http_error)

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"status": "ok"}

    @app.get("/v1/rules")
    def list_rules() -> dict[str, object]:
        return {"rules": rules.describe()}

    @app.post("/v1/quote")
    def quote() -> dict[str, object]:
        lines, coupon = parse_basket(_json_body())
        return price(lines, coupon, rules).to_json()

    return app


def _json_body() -> object:
    if not request.is_json:
        raise InvalidRequest("", "Content-Type must be application/json", status=415)
    try:
        return json.loads(
            request.get_data(), parse_float=Decimal, parse_constant=_no_constants
        )
    except ValueError as exc:
        raise InvalidRequest("", f"malformed JSON: {exc}") from None


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _invalid_request(exc: InvalidRequest) -> tuple[dict[str, object], int]:
    return exc.to_json(), exc.status


def _http_error(exc: HTTPException) -> tuple[dict[str, object], int, Headers]:
    """Routing and protocol errors in the same JSON shape as validation errors."""
    code = exc.code or 500
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return {"error": _message(exc, code)}, code, headers


def _message(exc: HTTPException, code: int) -> str:
    if code == 404:
        return f"no route for {request.method} {request.path}"
    if code == 405:
        allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or ()))
        return f"method {request.method} is not allowed for {request.path} (allowed: {allowed})"
    if code == 413:
        return f"request body must not be larger than {MAX_BODY} bytes"
    if code >= 500:
        return "internal server error"
    return exc.description or "bad request"
