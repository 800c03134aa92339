"""Pricing service: prices baskets and applies discount rules over HTTP."""

from __future__ import annotations

from pricing.app import create_app
from pricing.rules import DEFAULT_RULES, RuleSet, price

__all__ = ["DEFAULT_RULES", "RuleSet", "create_app", "price"]
