"""Shared fixtures: a fresh app and test client per test."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pricing import create_app


@pytest.fixture
def app() -> Flask:
    """The app with the default rules."""
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()
