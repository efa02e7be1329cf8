"""The HTTP routes of the one ASGI app (bot/runtime.py assembles it): health, readiness and metrics, the OAuth
pages, PlanetScale's webhooks. Slack's own endpoint is bot/slack/events_endpoint.py."""
