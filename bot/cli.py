"""`pscale-bot` entry points (docs/interface.md §1). A wrong or missing setting: exit 2 and one line naming it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from bot.checks import run_checks
from bot.config import ConfigError, Mode, Settings, choose_mode, load_settings, require_for
from bot.digests.service import RunReport
from bot.linking import rotate_encryption_keys
from bot.linking.crypto import SecretBox
from bot.logsetup import configure_logging
from bot.runtime import Runtime, build_runtime, create_web_app
from bot.sandbox.app import build_sandbox_app
from bot.slack.scopes import BOT_SCOPE_NAMES
from bot.storage import BackupError, Database, StorageError
from bot.watch.store import Watches

log = logging.getLogger("pscale_bot")

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(level=settings.log_level, fmt=settings.log_format)
        code: int = args.run(args, settings)
    except ConfigError as error:
        print(f"pscale-bot: {error.variable} {error.problem}", file=sys.stderr)
        return EXIT_CONFIG
    except StorageError as error:
        print(f"pscale-bot: BOT_DATABASE {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pscale-bot", description="Slack chat-ops for PlanetScale.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="pick the mode from the environment (the sandbox when nothing is set)")
    run.set_defaults(run=_run)

    serve = commands.add_parser("serve", help="HTTP mode: Slack calls POST /slack/events")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=None, help="port (default: PORT, else 3000)")
    serve.set_defaults(run=_serve)

    socket = commands.add_parser("socket", help="Socket Mode: the bot connects to Slack, no public URL needed")
    socket.add_argument("--host", default="0.0.0.0", help="address for the non-Slack routes")  # noqa: S104
    socket.set_defaults(run=_socket)

    sandbox = commands.add_parser("sandbox", help="the bot with built-in stand-ins for Slack and PlanetScale")
    sandbox.add_argument("--port", type=int, default=None, help="port (default: PORT, else 3000)")
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container; default 127.0.0.1)"
    )
    sandbox.add_argument(
        "--without-scope", action="append", default=[], choices=BOT_SCOPE_NAMES, metavar="SCOPE",
        help="install the app without this Slack scope, to see what the bot says then (repeatable)",
    )
    sandbox.set_defaults(run=_sandbox)

    check = commands.add_parser("check", help="check a real installation: Slack token and scopes, database, OAuth")
    check.set_defaults(run=_check)

    digest = commands.add_parser("digest", help="post the digests that are due now, then exit (for cron)")
    digest.add_argument("--all", action="store_true", help="also post every subscription now (keeps the day's slot)")
    digest.set_defaults(run=_digest)

    keys = commands.add_parser("keys", help="manage BOT_ENCRYPTION_KEYS")
    key_actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    rotate = key_actions.add_parser("rotate", help="re-encrypt every stored secret with the first key")
    rotate.set_defaults(run=_keys_rotate)

    backup = commands.add_parser("backup", help="a consistent copy of the database, safe while the bot runs")
    backup.add_argument("path", type=Path)
    backup.set_defaults(run=_backup)
    return parser


def _run(args: argparse.Namespace, settings: Settings) -> int:
    choice = choose_mode(settings)
    log.info("starting in %s mode: %s", choice.mode.value, choice.reason)
    if choice.mode is Mode.SANDBOX:
        return _start_sandbox(host="127.0.0.1", port=settings.port, settings=settings)
    require_for(choice.mode, settings)
    return _start(settings, mode=choice.mode, host="0.0.0.0", port=settings.port)  # noqa: S104


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    require_for(Mode.HTTP, settings)
    port = args.port or settings.port
    log.info("starting in http mode on port %d", port)
    return _start(settings, mode=Mode.HTTP, host=args.host, port=port)


def _socket(args: argparse.Namespace, settings: Settings) -> int:
    require_for(Mode.SOCKET, settings)
    log.info("starting in socket mode; other routes on port %d", settings.port)
    return _start(settings, mode=Mode.SOCKET, host=args.host, port=settings.port)


def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    port = args.port or settings.port
    log.info("starting in sandbox mode on port %d", port)
    return _start_sandbox(host=args.host, port=port, settings=settings, without_scopes=args.without_scope)


def _check(args: argparse.Namespace, settings: Settings) -> int:
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    if not Path(settings.bot_database).is_file():
        # Opening would create an empty database, and the "backup" would quietly be of nothing.
        raise StorageError(f"{settings.bot_database} does not exist; nothing to back up")
    database = Database.open(settings.bot_database)
    try:
        database.backup(args.path)
    except BackupError as error:  # about PATH, not about BOT_DATABASE
        print(f"pscale-bot: backup: {error}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        database.close()
    print(f"backed up {settings.bot_database} to {args.path}")
    return 0


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    choice = choose_mode(settings)
    if choice.mode is Mode.SANDBOX:
        raise ConfigError("SLACK_BOT_TOKEN", "is required to post digests (the sandbox schedules its own)")
    require_for(choice.mode, settings)
    report = asyncio.run(_post_digests(build_runtime(settings, mode=choice.mode), everything=args.all))
    print(f"digests: {report.posted} posted, {len(report.failures)} not posted")
    if report.failures:
        print(f"pscale-bot: digest: not posted: {'; '.join(report.failures)}", file=sys.stderr)
        return 1
    return 0


async def _post_digests(runtime: Runtime, *, everything: bool) -> RunReport:
    try:
        return await runtime.digests.run(everything=everything)
    finally:
        await runtime.planetscale.aclose()
        runtime.database.close()


def _keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    keys = settings.encryption_keys()
    if not keys:
        raise ConfigError("BOT_ENCRYPTION_KEYS", "is required to re-encrypt the stored secrets but is not set")
    if not Path(settings.bot_database).is_file():
        raise StorageError(f"{settings.bot_database} does not exist; there is nothing to re-encrypt")
    database = Database.open(settings.bot_database)
    try:
        database.migrate()
        report = rotate_encryption_keys(database, keys)
        hooks_rotated, hooks_unreadable = Watches(database, SecretBox(keys)).rotate_keys()
    finally:
        database.close()
    print(
        f"re-encrypted {report.rotated} PlanetScale grant(s) and {hooks_rotated} webhook secret(s) with the first "
        "key of BOT_ENCRYPTION_KEYS"
    )
    if report.unreadable or hooks_unreadable:
        print(
            f"pscale-bot: keys rotate: {report.unreadable} grant(s) and {hooks_unreadable} webhook secret(s) opened "
            "with none of the keys in BOT_ENCRYPTION_KEYS and were left as they are; those users must link again "
            "and those databases be watched again",
            file=sys.stderr,
        )
        return 1
    return 0


def _start(settings: Settings, *, mode: Mode, host: str, port: int) -> int:
    runtime = build_runtime(settings, mode=mode, port=port)
    return _serve_app(create_web_app(runtime=runtime), host=host, port=port)


def _start_sandbox(*, host: str, port: int, settings: Settings, without_scopes: Sequence[str] = ()) -> int:
    app = build_sandbox_app(port=port, settings=settings, without_scopes=without_scopes)
    print(f"pscale-bot sandbox: open http://{host}:{port}/ in a browser", file=sys.stderr)
    return _serve_app(app, host=host, port=port)


def _serve_app(app: Starlette, *, host: str, port: int) -> int:
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, lifespan="on", log_config=None, access_log=False)
    )
    server.run()
    return 0 if server.started else 1
