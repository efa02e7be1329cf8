"""Stand-ins for the services the bot talks to (PlanetScale, Slack), used by the sandbox mode and by tests."""
