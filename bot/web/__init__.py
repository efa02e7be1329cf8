"""The one ASGI app: Slack's endpoint, health, readiness, metrics (and the OAuth and sandbox routes later)."""
