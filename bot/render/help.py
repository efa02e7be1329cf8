"""Help and usage-error replies for `/pscale`: the catalog and parse results in, ephemeral Block Kit messages out.

Pure: no I/O. Blocks are built through slack_sdk's block classes, whose `to_dict` checks Slack's limits, and long
lists are split so that no section passes 3,000 characters and no message 50 blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.commands.catalog import (
    CATALOG,
    GROUP_ALIASES,
    SUBCOMMAND_ALIASES,
    Catalog,
    CommandSpec,
    Flag,
    Found,
    GroupOnly,
)
from bot.commands.grammar import ParseFailure
from bot.render.message import Message

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HELP_HINT = "`/pscale help COMMAND` explains a command, e.g. `/pscale help branch create`."


def render_help(topic: Sequence[str] = (), catalog: Catalog = CATALOG) -> Message:
    """The overview (no topic), a group's commands (`branch`, `dr`), or one command in full (`branch create`)."""
    if not topic:
        return _overview(catalog)
    match = catalog.lookup(topic)
    if isinstance(match, Found):
        return _command_help(match.spec)
    if isinstance(match, GroupOnly):
        return _group_help(match.group, match.commands)
    # The grammar only hands over topics it resolved; anything else still gets a useful answer.
    return _overview(catalog, note=f"There is no command `{_inline(' '.join(topic))}`. These are the commands:")


def render_parse_failure(failure: ParseFailure) -> Message:
    """What was wrong, the right usage on lines starting `Usage: /pscale`, and where to read more."""
    more = (
        f"`/pscale help {failure.command}` explains it in full."
        if failure.command is not None
        else "`/pscale help` lists every command."
    )
    blocks = [
        _markdown(f":warning: {escape(failure.problem)}"),
        _plain("\n".join(failure.usage)),
        _context(more),
    ]
    text = "\n".join([escape(failure.problem), *failure.usage])
    return _message(text, blocks)


def escape(text: str) -> str:
    """Slack's three control characters, so text (user input included) shows as typed and pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- The three kinds of help ------------------------------------------------------------------------------------


def _overview(catalog: Catalog, note: str | None = None) -> Message:
    blocks: list[Block] = [_header("/pscale: PlanetScale from Slack")]
    if note is not None:
        blocks.append(_markdown(note))
    text_lines = ["/pscale commands:"]
    for area, specs in catalog.by_area():
        blocks.extend(_sections(f"*{area.value}*", [_listing_line(spec) for spec in specs]))
        text_lines.extend(f"/pscale {synopsis}" for spec in specs for synopsis in spec.synopses())
    blocks.append(_context(f"{HELP_HINT} {_aliases_note()} {_org_note()}"))
    return _message("\n".join(text_lines), blocks)


def _group_help(group: str, commands: Sequence[CommandSpec]) -> Message:
    notes = [f"Add the command for its full help, e.g. `/pscale help {escape(commands[0].key)}`."]
    notes.extend(_alias_notes(group))
    blocks: list[Block] = [
        _header(f"/pscale {group}"),
        *_sections(None, [_listing_line(spec) for spec in commands]),
        _context(" ".join(notes)),
    ]
    text = "\n".join(usage for spec in commands for usage in spec.usage_lines())
    return _message(text, blocks)


def _command_help(spec: CommandSpec) -> Message:
    blocks: list[Block] = [
        _header(f"/pscale {spec.key}"),
        _markdown(escape(f"*{spec.summary}*\n{spec.description}")),
        _plain("\n".join(spec.usage_lines())),
    ]
    if spec.params:
        arguments = [
            f"`{param.metavar}` — the {param.kind.value}{' (optional)' if param.optional else ''}"
            for param in spec.params
        ]
        blocks.extend(_sections("*Arguments*", [escape(line) for line in arguments]))
    if spec.all_flags:
        blocks.extend(_sections("*Flags*", [escape(_flag_line(flag)) for flag in spec.all_flags]))
    examples = [f"`{escape(example)}`" for example in spec.examples]
    blocks.extend(_sections("*Example*" if len(examples) == 1 else "*Examples*", examples))
    notes = _command_notes(spec)
    if notes:
        blocks.append(_context(" ".join(notes)))
    text = "\n".join([*spec.usage_lines(), spec.summary, *(f"Example: {example}" for example in spec.examples)])
    return _message(text, blocks)


def _command_notes(spec: CommandSpec) -> list[str]:
    notes: list[str] = []
    if spec.destructive:
        notes.append("Asks you to confirm with a button first.")
    if spec.posts_to_channel:
        notes.append("Posts in this channel for everyone to see.")
    if spec.modal_callback_id is not None:
        notes.append("With no arguments, opens a form.")
    if spec.uses_default_database:
        notes.append("DB may be left out in a channel with a default database (`/pscale channel db`).")
    notes.extend(_alias_notes(*spec.words))
    return notes


def _alias_notes(group: str, subcommand: str | None = None) -> list[str]:
    pairs = [(alias, target) for alias, target in GROUP_ALIASES.items() if target == group]
    pairs += [(alias, target) for alias, target in SUBCOMMAND_ALIASES.items() if target == subcommand]
    return [f"`{alias}` is short for `{target}`." for alias, target in pairs]


def _flag_line(flag: Flag) -> str:
    default = f" (default: {flag.default})" if flag.default is not None else ""
    return f"`{flag.synopsis}` — {flag.description}{default}"


def _listing_line(spec: CommandSpec) -> str:
    """One command in a list: its command line(s) and its summary."""
    synopses = " or ".join(f"`/pscale {escape(synopsis)}`" for synopsis in spec.synopses())
    return f"{synopses} — {escape(spec.summary)}"


def _aliases_note() -> str:
    pairs = {**GROUP_ALIASES, **SUBCOMMAND_ALIASES}
    return "Aliases: " + ", ".join(f"`{alias}` = `{target}`" for alias, target in pairs.items()) + "."


def _org_note() -> str:
    return "Add `--org ORG` to any database, branch, deploy request or password command to use another organization."


# --- Blocks -----------------------------------------------------------------------------------------------------


def _sections(title: str | None, lines: Iterable[str]) -> list[Block]:
    """Lines under an optional bold title, split into as many sections as Slack's 3,000-character limit needs."""
    chunks: list[list[str]] = [[title]] if title is not None else [[]]
    for line in lines:
        shown = _truncate(line, SECTION_TEXT_LIMIT)
        if chunks[-1] and len("\n".join([*chunks[-1], shown])) > SECTION_TEXT_LIMIT:
            chunks.append([])
        chunks[-1].append(shown)
    return [_markdown("\n".join(chunk)) for chunk in chunks if chunk]


def _markdown(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=_truncate(text, SECTION_TEXT_LIMIT)))


def _plain(text: str) -> Block:
    return SectionBlock(text=PlainTextObject(text=_truncate(text, SECTION_TEXT_LIMIT), emoji=False))


def _header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=_truncate(text, HeaderBlock.text_max_length), emoji=False))


def _context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=_truncate(text, SECTION_TEXT_LIMIT))])


def _message(text: str, blocks: Sequence[Block]) -> Message:
    # to_dict() validates each block against Slack's limits, so an oversized block fails here, in tests.
    rendered: tuple[dict[str, Any], ...] = tuple(block.to_dict() for block in blocks[:MESSAGE_BLOCK_LIMIT])
    return Message(text=text, blocks=rendered, visibility="ephemeral")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inline(text: str) -> str:
    """Text inside backticks: escaped, one line, and unable to close the backticks early."""
    return escape(" ".join(text.split())).replace("`", "ˋ")[:80]
