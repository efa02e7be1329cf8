"""The `pscale-bot` program as a separate process, in an environment that configures nothing by accident."""

from __future__ import annotations

import os


def unconfigured_env(**extra: str) -> dict[str, str]:
    """This process's environment without any of the bot's variables (so the sandbox, unless `extra` says
    otherwise): a developer's own SLACK_* or PORT must not change what a test sees."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "PLANETSCALE_", "BOT_", "LOG_", "PORT"))
    }
    env.update(extra)
    return env
