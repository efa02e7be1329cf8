"""`pscale-bot` entry points (docs/interface.md §1).

Wrong or missing settings: exit 2 and one line per variable. An address it cannot listen on: exit 3 and one line,
found before anything else starts, so nothing claims to be running when it is not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from uvicorn.server import HANDLED_SIGNALS

from bot.checks import run_checks
from bot.config import ConfigError, Mode, Problem, Settings, choose_mode, read_settings, require_for
from bot.digests.service import RunReport
from bot.linking import rotate_encryption_keys
from bot.linking.crypto import SecretBox
from bot.linking.grants import RotationReport
from bot.logsetup import configure_logging
from bot.runtime import Runtime, build_runtime, create_web_app
from bot.slack.scopes import BOT_SCOPE_NAMES
from bot.storage import BackupError, StorageError, is_postgresql_url, open_database
from bot.storage.move import move_database
from bot.storage.sqlite import SqliteDatabase
from bot.watch.store import Watches

log = logging.getLogger("pscale_bot")

EXIT_CONFIG = 2
EXIT_CANNOT_LISTEN = 3
EXIT_TERMINATED = 128 + signal.SIGTERM  # as a shell reports a program SIGTERM ended
LOOPBACK = "127.0.0.1"
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 (a server in a container or behind a load balancer listens on all of them)


class CannotListen(Exception):
    """The address or port cannot be listened on; the message is one plain line saying what to do."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings, invalid = read_settings()
        configure_logging(level=settings.log_level, fmt=settings.log_format)
        code: int = args.run(args, settings, invalid)
    except ConfigError as error:
        for problem in error.problems:
            print(f"pscale-bot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except CannotListen as error:
        print(f"pscale-bot: {error}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    except StorageError as error:
        print(f"pscale-bot: BOT_DATABASE {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pscale-bot", description="Slack chat-ops for PlanetScale.")
    parser.add_argument("--version", action="version", version=f"pscale-bot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="pick the mode from the environment (the sandbox when nothing is set)")
    run.add_argument(
        "--host", default=None, help=f"address to listen on (default: {LOOPBACK} for the sandbox, else {EVERY_ADDRESS})"
    )
    run.add_argument("--port", type=_port, default=None, help="port (default: PORT, else 3000)")
    run.set_defaults(run=_run)

    serve = commands.add_parser("serve", help="HTTP mode: Slack calls POST /slack/events")
    serve.add_argument("--host", default=EVERY_ADDRESS, help=f"address to listen on (default {EVERY_ADDRESS})")
    serve.add_argument("--port", type=_port, default=None, help="port (default: PORT, else 3000)")
    serve.set_defaults(run=_serve)

    socket_mode = commands.add_parser("socket", help="Socket Mode: the bot connects to Slack, no public URL needed")
    socket_mode.add_argument("--host", default=EVERY_ADDRESS, help="address for the non-Slack routes")
    socket_mode.set_defaults(run=_socket)

    sandbox = commands.add_parser("sandbox", help="the bot with built-in stand-ins for Slack and PlanetScale")
    sandbox.add_argument("--port", type=_port, default=None, help="port (default: PORT, else 3000)")
    sandbox.add_argument(
        "--host", default=LOOPBACK, help=f"address to listen on ({EVERY_ADDRESS} in a container; default {LOOPBACK})"
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

    backup = commands.add_parser(
        "backup", help="a consistent copy of the database, safe while the bot runs (PostgreSQL: with pg_dump)"
    )
    backup.add_argument("path", type=Path)
    backup.set_defaults(run=_backup)

    move = commands.add_parser(
        "move-database", help="copy the SQLite database BOT_DATABASE names into an empty PostgreSQL database"
    )
    move.add_argument("--to", required=True, metavar="URL", help="postgresql://USER:PASSWORD@HOST:PORT/DB")
    move.set_defaults(run=_move_database)
    return parser


def _version() -> str:
    try:
        return version("pscale-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return number


def _require_valid(invalid: Sequence[Problem]) -> None:
    if invalid:
        raise ConfigError.listing(invalid)


def _run(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    choice = choose_mode(settings)
    log.info("starting in %s mode: %s", choice.mode.value, choice.reason)
    require_for(choice.mode, settings, invalid=invalid)
    port = args.port or settings.port
    if choice.mode is Mode.SANDBOX:
        return _start_sandbox(host=args.host or LOOPBACK, port=port, settings=settings)
    return _start(settings, mode=choice.mode, host=args.host or EVERY_ADDRESS, port=port)


def _serve(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    require_for(Mode.HTTP, settings, invalid=invalid)
    port = args.port or settings.port
    log.info("starting in http mode on port %d", port)
    return _start(settings, mode=Mode.HTTP, host=args.host, port=port)


def _socket(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    require_for(Mode.SOCKET, settings, invalid=invalid)
    log.info("starting in socket mode; other routes on port %d", settings.port)
    return _start(settings, mode=Mode.SOCKET, host=args.host, port=settings.port)


def _sandbox(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    require_for(Mode.SANDBOX, settings, invalid=invalid)
    port = args.port or settings.port
    log.info("starting in sandbox mode on port %d", port)
    return _start_sandbox(host=args.host, port=port, settings=settings, without_scopes=args.without_scope)


def _check(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    _require_valid(invalid)
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


def _require_existing(location: str, *, nothing: str) -> None:
    """Opening a missing SQLite file would create an empty one, and the command would quietly act on nothing."""
    if not is_postgresql_url(location) and not Path(location).is_file():
        raise StorageError(f"{location} does not exist; {nothing}")


def _backup(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    _require_valid(invalid)
    _require_existing(settings.bot_database, nothing="nothing to back up")

    async def backup() -> str:
        database = await open_database(settings.bot_database)
        try:
            return await database.backup(str(args.path))
        finally:
            await database.close()

    try:
        print(asyncio.run(backup()))
    except BackupError as error:  # about PATH (or pg_dump), not about BOT_DATABASE
        print(f"pscale-bot: backup: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _move_database(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    _require_valid(invalid)
    if is_postgresql_url(settings.bot_database):
        raise StorageError("is already PostgreSQL; move-database copies an SQLite file into PostgreSQL")
    _require_existing(settings.bot_database, nothing="there is nothing to move")
    if not is_postgresql_url(args.to):
        print("pscale-bot: move-database: --to must be a postgresql:// URL", file=sys.stderr)
        return EXIT_CONFIG

    async def move() -> tuple[str, str]:
        source = await SqliteDatabase.open(settings.bot_database)
        try:
            target = await open_database(args.to)
        except StorageError as error:  # about --to, not about BOT_DATABASE
            await source.close()
            raise _MoveRefused(str(error)) from None
        try:
            return (await move_database(source, target)).summary(), target.location
        except StorageError as error:
            raise _MoveRefused(str(error)) from None
        finally:
            await target.close()
            await source.close()

    try:
        summary, where = asyncio.run(move())
    except _MoveRefused as refused:
        print(f"pscale-bot: move-database: {refused}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{summary} from {settings.bot_database} to {where}")
    print(
        "Secrets are copied sealed: keep the same BOT_ENCRYPTION_KEYS. Stop the bot, set BOT_DATABASE to the "
        "PostgreSQL URL, and start it (and any replicas) again. The SQLite file is left as it was."
    )
    return 0


class _MoveRefused(Exception):
    """move-database could not go ahead for a reason about --to or the target's contents."""


def _digest(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    choice = choose_mode(settings)
    if choice.mode is Mode.SANDBOX:
        raise ConfigError(
            "SLACK_BOT_TOKEN", "is required to post digests (the sandbox schedules its own)", more=invalid
        )
    require_for(choice.mode, settings, invalid=invalid)
    try:
        report = asyncio.run(_post_digests(build_runtime(settings, mode=choice.mode), everything=args.all))
    except asyncio.CancelledError:
        print("pscale-bot: digest: stopped by SIGTERM; the digests it had not sent are left to the next run",
              file=sys.stderr)
        return EXIT_TERMINATED
    print(f"digests: {report.posted} posted, {len(report.failures)} not posted")
    if report.failures:
        print(f"pscale-bot: digest: not posted: {'; '.join(report.failures)}", file=sys.stderr)
        return 1
    return 0


async def _post_digests(runtime: Runtime, *, everything: bool) -> RunReport:
    """The run, which SIGTERM (a cron job's deadline, say) cancels as it cancels `serve`'s schedule: the slots it
    claimed and had not sent are given back for the next run rather than held until they count as abandoned."""
    run = asyncio.ensure_future(_open_and_post(runtime, everything=everything))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, run.cancel)
    try:
        return await run
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _open_and_post(runtime: Runtime, *, everything: bool) -> RunReport:
    try:
        await runtime.open_storage()
        return await runtime.digests.run(everything=everything)
    finally:
        await runtime.planetscale.aclose()
        await runtime.database.close()


def _keys_rotate(args: argparse.Namespace, settings: Settings, invalid: Sequence[Problem]) -> int:
    _require_valid(invalid)
    keys = settings.encryption_keys()
    if not keys:
        raise ConfigError("BOT_ENCRYPTION_KEYS", "is required to re-encrypt the stored secrets but is not set")
    _require_existing(settings.bot_database, nothing="there is nothing to re-encrypt")

    async def rotate() -> tuple[RotationReport, tuple[int, int]]:
        database = await open_database(settings.bot_database)
        try:
            await database.migrate()
            return await rotate_encryption_keys(database, keys), await Watches(database, SecretBox(keys)).rotate_keys()
        finally:
            await database.close()

    report, (hooks_rotated, hooks_unreadable) = asyncio.run(rotate())
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
    listening = _listen(host, port)
    runtime = build_runtime(settings, mode=mode, port=port)
    with asyncio.Runner() as loop:
        # Opened and migrated once, before serving, in the event loop that then serves (a PostgreSQL pool belongs
        # to one loop; the app's start finds the storage open): a database that cannot be opened or migrated stops
        # the program with one plain line, and nothing has claimed to be ready.
        try:
            loop.run(runtime.open_storage())
        except BaseException:
            listening.close()
            loop.run(runtime.stop())
            raise
        # No WebSocket route outside the sandbox: uvicorn need not load its WebSocket protocol.
        return _serve_app(create_web_app(runtime=runtime), listening, loop=loop, websockets=False)


def _start_sandbox(*, host: str, port: int, settings: Settings, without_scopes: Sequence[str] = ()) -> int:
    # Imported here: the stand-ins and the emulator page are a fifth of the imports, and `serve` needs none of them.
    from bot.sandbox.app import build_sandbox_app, sandbox_public_url  # noqa: PLC0415 - only the sandbox uses it

    listening = _listen(host, port)
    app = build_sandbox_app(host=host, port=port, settings=settings, without_scopes=without_scopes)
    page = sandbox_public_url(host=host, port=port, settings=settings)
    with asyncio.Runner() as loop:
        return _serve_app(
            app, listening, loop=loop, websockets=True,  # the Socket Mode stand-in's WebSocket
            on_started=lambda: print(f"pscale-bot sandbox: open {page}/ in a browser", file=sys.stderr),
        )


def _listen(host: str, port: int) -> socket.socket:
    """Bind and listen before anything is built: a busy port is then the only thing said, and the bot's own first
    calls to itself (the sandbox's stand-ins) wait in the backlog instead of being refused."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise CannotListen(f"cannot listen on {host}: no such address on this machine (check --host)") from None
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
        listening.listen(2048)
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {port} is already in use on {host} (is pscale-bot already running?); stop that program "
                "or choose another port with --port or PORT"
            ) from None
        if error.errno == errno.EACCES:
            raise CannotListen(f"not allowed to listen on port {port}; choose a port above 1023") from None
        raise CannotListen(f"cannot listen on {host} port {port}: {error.strerror}") from None
    return listening


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._on_started is not None and not self.should_exit:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn's, less its raising the signal again once the graceful shutdown is done: a stop that SIGTERM or
        Ctrl-C asked for and that drained is a clean exit, status 0 and no KeyboardInterrupt traceback."""
        original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def _serve_app(
    app: Starlette, listening: socket.socket, *, loop: asyncio.Runner, websockets: bool,
    on_started: Callable[[], None] | None = None,
) -> int:
    # httptools, not h11: h11 checked and wrote each response in pure Python, 0.9 ms of every ack (README,
    # "Why each dependency").
    config = uvicorn.Config(
        app, lifespan="on", log_config=None, access_log=False, http="httptools",
        ws="auto" if websockets else "none",
    )
    server = _Server(config, on_started)
    try:
        loop.run(server.serve(sockets=[listening]))
    finally:
        listening.close()
    return 0 if server.started else 1
