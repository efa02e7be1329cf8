"""`/pscale help` and usage errors as view models: the catalog's declarations and the parser's failures, read into
the shapes bot/render/help.py draws (the renderer knows nothing of the catalog or the grammar)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.commands.catalog import CATALOG, GROUP_ALIASES, SUBCOMMAND_ALIASES, Catalog, CommandSpec, Found, GroupOnly
from bot.commands.grammar import ParseFailure
from bot.render.help import (
    Alias,
    Argument,
    CommandHelp,
    CommandLine,
    FlagHelp,
    GroupHelp,
    HelpView,
    Overview,
    UsageError,
    render_help,
)
from bot.render.message import Message


def help_view(topic: Sequence[str], catalog: Catalog = CATALOG) -> HelpView:
    """The overview (no topic), a group's commands (`branch`, `dr`), or one command in full (`branch create`)."""
    if not topic:
        return _overview(catalog)
    match = catalog.lookup(topic)
    if isinstance(match, Found):
        return _command_help(match.spec)
    if isinstance(match, GroupOnly):
        return GroupHelp(
            group=match.group,
            commands=tuple(_line(spec) for spec in match.commands),
            aliases=_aliases_of(match.group),
        )
    return _overview(catalog, unknown_topic=" ".join(topic))


# Topics are the catalog's commands and groups (the grammar resolves them), so this holds a few dozen replies.
@lru_cache(maxsize=256)
def help_reply(topic: tuple[str, ...]) -> Message:
    """`/pscale help TOPIC`, drawn once per topic: the catalog does not change while the bot runs, and drawing the
    overview through slack_sdk's block classes took most of the help ack (0.8 ms of it)."""
    return render_help(help_view(topic))


def usage_view(failure: ParseFailure) -> UsageError:
    return UsageError(problem=failure.problem, usage=failure.usage, command=failure.command)


def _overview(catalog: Catalog, *, unknown_topic: str | None = None) -> Overview:
    return Overview(
        areas=tuple((area.value, tuple(_line(spec) for spec in specs)) for area, specs in catalog.by_area()),
        aliases=(*GROUP_ALIASES.items(), *SUBCOMMAND_ALIASES.items()),
        unknown_topic=unknown_topic,
    )


def _command_help(spec: CommandSpec) -> CommandHelp:
    return CommandHelp(
        command=_line(spec),
        description=spec.description,
        arguments=tuple(Argument(param.metavar, param.kind.value, param.optional) for param in spec.params),
        flags=tuple(FlagHelp(flag.synopsis, flag.description, flag.default) for flag in spec.all_flags),
        examples=spec.examples,
        asks_to_confirm=spec.destructive,
        posts_to_channel=spec.posts_to_channel,
        opens_form=spec.modal_callback_id is not None,
        uses_default_database=spec.uses_default_database,
        aliases=_aliases_of(*spec.words),
    )


def _line(spec: CommandSpec) -> CommandLine:
    return CommandLine(key=spec.key, synopses=spec.synopses(), usage=spec.usage_lines(), summary=spec.summary)


def _aliases_of(group: str, subcommand: str | None = None) -> tuple[Alias, ...]:
    """The aliases that stand for this group word, then those for this subcommand word."""
    return (
        *((alias, target) for alias, target in GROUP_ALIASES.items() if target == group),
        *((alias, target) for alias, target in SUBCOMMAND_ALIASES.items() if target == subcommand),
    )
