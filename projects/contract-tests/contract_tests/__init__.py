"""Helpers for end-to-end tests: run the services, talk to them, receive webhooks."""
