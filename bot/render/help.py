"""Help and usage-error replies for `/pscale`: view models in (bot/commands/help.py builds them from the catalog
and the parser's failures), ephemeral Block Kit messages out.

Pure: no I/O. Blocks are built through slack_sdk's block classes, whose `to_dict` checks Slack's limits, and long
lists are split so that no section passes 3,000 characters and no message 50 blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.render.message import Message
from bot.render.mrkdwn import escape, inline, truncate

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HELP_HINT = "`/pscale help COMMAND` explains a command, e.g. `/pscale help branch create`."

# (alias, what it stands for), e.g. ("dr", "deploy-request").
Alias = tuple[str, str]


@dataclass(frozen=True)
class CommandLine:
    """One command as lists show it."""

    key: str
    synopses: tuple[str, ...]  # its command lines without the `/pscale`, e.g. `branch create DB BRANCH [--from …]`
    usage: tuple[str, ...]  # the same as `Usage: /pscale …` lines
    summary: str


@dataclass(frozen=True)
class Argument:
    metavar: str
    noun: str  # what it holds, e.g. "branch name"
    optional: bool


@dataclass(frozen=True)
class FlagHelp:
    synopsis: str
    description: str
    default: str | None


@dataclass(frozen=True)
class Overview:
    """Every command, by area; `unknown_topic` is what was asked for when it named no command."""

    areas: tuple[tuple[str, tuple[CommandLine, ...]], ...]
    aliases: tuple[Alias, ...]
    unknown_topic: str | None = None


@dataclass(frozen=True)
class GroupHelp:
    """A group's commands (`/pscale help branch`)."""

    group: str
    commands: tuple[CommandLine, ...]
    aliases: tuple[Alias, ...]  # those that stand for the group


@dataclass(frozen=True)
class CommandHelp:
    """One command in full (`/pscale help branch create`)."""

    command: CommandLine
    description: str
    arguments: tuple[Argument, ...]
    flags: tuple[FlagHelp, ...]
    examples: tuple[str, ...]
    asks_to_confirm: bool
    posts_to_channel: bool
    opens_form: bool
    uses_default_database: bool
    aliases: tuple[Alias, ...]  # those that stand for its words


HelpView = Overview | GroupHelp | CommandHelp


@dataclass(frozen=True)
class UsageError:
    """Wrong input: what was wrong (user input quoted in backticks, unescaped), the right usage lines, and the
    command concerned when one was recognised."""

    problem: str
    usage: tuple[str, ...]
    command: str | None = None


def render_help(view: HelpView) -> Message:
    """The overview, a group's commands (`branch`, `dr`), or one command in full (`branch create`)."""
    if isinstance(view, CommandHelp):
        return _command_help(view)
    if isinstance(view, GroupHelp):
        return _group_help(view)
    return _overview(view)


def render_usage_error(view: UsageError) -> Message:
    """What was wrong, the right usage on lines starting `Usage: /pscale`, and where to read more."""
    more = (
        f"`/pscale help {view.command}` explains it in full."
        if view.command is not None
        else "`/pscale help` lists every command."
    )
    blocks = [_markdown(f":warning: {escape(view.problem)}")]
    if view.usage:
        blocks.append(_plain("\n".join(view.usage)))
    blocks.append(_context(more))
    text = "\n".join([escape(view.problem), *view.usage, more])
    return _message(text, blocks)


# --- The three kinds of help ------------------------------------------------------------------------------------


def _overview(view: Overview) -> Message:
    blocks: list[Block] = [_header("/pscale: PlanetScale from Slack")]
    if view.unknown_topic is not None:
        # The grammar only hands over topics it resolved; anything else still gets a useful answer.
        blocks.append(_markdown(f"There is no command `{inline(view.unknown_topic)}`. These are the commands:"))
    text_lines = ["/pscale commands:"]
    for area, commands in view.areas:
        blocks.extend(_sections(f"*{area}*", [_listing_line(command) for command in commands]))
        text_lines.extend(f"/pscale {synopsis}" for command in commands for synopsis in command.synopses)
    blocks.append(_context(f"{HELP_HINT} {_aliases_note(view.aliases)} {_org_note()}"))
    return _message("\n".join(text_lines), blocks)


def _group_help(view: GroupHelp) -> Message:
    notes = [f"Add the command for its full help, e.g. `/pscale help {escape(view.commands[0].key)}`."]
    notes.extend(_alias_notes(view.aliases))
    blocks: list[Block] = [
        _header(f"/pscale {view.group}"),
        *_sections(None, [_listing_line(command) for command in view.commands]),
        _context(" ".join(notes)),
    ]
    text = "\n".join(usage for command in view.commands for usage in command.usage)
    return _message(text, blocks)


def _command_help(view: CommandHelp) -> Message:
    command = view.command
    blocks: list[Block] = [
        _header(f"/pscale {command.key}"),
        _markdown(escape(f"*{command.summary}*\n{view.description}")),
        _plain("\n".join(command.usage)),
    ]
    if view.arguments:
        arguments = [
            f"`{argument.metavar}` — the {argument.noun}{' (optional)' if argument.optional else ''}"
            for argument in view.arguments
        ]
        blocks.extend(_sections("*Arguments*", [escape(line) for line in arguments]))
    if view.flags:
        blocks.extend(_sections("*Flags*", [escape(_flag_line(flag)) for flag in view.flags]))
    examples = [f"`{escape(example)}`" for example in view.examples]
    blocks.extend(_sections("*Example*" if len(examples) == 1 else "*Examples*", examples))
    notes = _command_notes(view)
    if notes:
        blocks.append(_context(" ".join(notes)))
    text = "\n".join([*command.usage, command.summary, *(f"Example: {example}" for example in view.examples)])
    return _message(text, blocks)


def _command_notes(view: CommandHelp) -> list[str]:
    notes: list[str] = []
    if view.asks_to_confirm:
        notes.append("Asks you to confirm with a button first.")
    if view.posts_to_channel:
        notes.append("Posts in this channel for everyone to see.")
    if view.opens_form:
        notes.append("With no arguments, opens a form.")
    if view.uses_default_database:
        notes.append("DB may be left out in a channel with a default database (`/pscale channel db`).")
    notes.extend(_alias_notes(view.aliases))
    return notes


def _alias_notes(aliases: Sequence[Alias]) -> list[str]:
    return [f"`{alias}` is short for `{target}`." for alias, target in aliases]


def _flag_line(flag: FlagHelp) -> str:
    default = f" (default: {flag.default})" if flag.default is not None else ""
    return f"`{flag.synopsis}` — {flag.description}{default}"


def _listing_line(command: CommandLine) -> str:
    """One command in a list: its command line(s) and its summary."""
    synopses = " or ".join(f"`/pscale {escape(synopsis)}`" for synopsis in command.synopses)
    return f"{synopses} — {escape(command.summary)}"


def _aliases_note(aliases: Sequence[Alias]) -> str:
    return "Aliases: " + ", ".join(f"`{alias}` = `{target}`" for alias, target in aliases) + "."


def _org_note() -> str:
    return "Add `--org ORG` to any database, branch, deploy request or password command to use another organization."


# --- Blocks -----------------------------------------------------------------------------------------------------


def _sections(title: str | None, lines: Iterable[str]) -> list[Block]:
    """Lines under an optional bold title, split into as many sections as Slack's 3,000-character limit needs."""
    chunks: list[list[str]] = [[title]] if title is not None else [[]]
    for line in lines:
        shown = truncate(line, SECTION_TEXT_LIMIT)
        if chunks[-1] and len("\n".join([*chunks[-1], shown])) > SECTION_TEXT_LIMIT:
            chunks.append([])
        chunks[-1].append(shown)
    return [_markdown("\n".join(chunk)) for chunk in chunks if chunk]


def _markdown(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_TEXT_LIMIT)))


def _plain(text: str) -> Block:
    return SectionBlock(text=PlainTextObject(text=truncate(text, SECTION_TEXT_LIMIT), emoji=False))


def _header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HeaderBlock.text_max_length), emoji=False))


def _context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_TEXT_LIMIT))])


def _message(text: str, blocks: Sequence[Block]) -> Message:
    # to_dict() validates each block against Slack's limits, so an oversized block fails here, in tests.
    rendered: tuple[dict[str, Any], ...] = tuple(block.to_dict() for block in blocks[:MESSAGE_BLOCK_LIMIT])
    return Message(text=text, blocks=rendered, visibility="ephemeral")

