"""Daily digests: subscriptions, the schedule, and one collect pass per (grant, database) per run."""
