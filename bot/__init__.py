"""pscale-bot: Slack chat-ops for PlanetScale."""

__version__ = "0.1.0"
