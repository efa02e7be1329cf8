"""`/pscale watch DB`: PlanetScale's deploy-request webhooks for a database, delivered to a Slack channel."""
