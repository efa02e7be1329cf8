"""Layout shared by the resource renderers: links to the app, truthful list footers, a list and a facts message.

Pure: strings and view-model values in, `Message`s out. Every message stays inside Slack's limits (≤ 50 blocks,
≤ 3,000 characters a section, a header ≤ 150, well under the total of text Slack accepts: bot/render/budget.py)
and always carries fallback text.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.render.budget import Budget, pack_lines
from bot.render.message import Message
from bot.render.mrkdwn import escape, truncate

APP_URL = "https://app.planetscale.com"
HEADER_LIMIT = 150
TEXT_LIMIT = 3000
# Room kept in a list message for its "…and N more" line, link included.
MORE_LINE = 300


def app_link(*segments: str) -> str:
    """A page of PlanetScale's web app; each segment is URL-quoted, since names come from people."""
    return "/".join([APP_URL, *(quote(segment, safe="") for segment in segments)])


def count_line(*, shown: int, total: int | None, more: bool, noun: str, plural: str, link: str) -> str:
    """"Showing 25 of 1,000 branches." with a link when not everything is shown; `more` covers lists without a total."""
    if total is not None and total > shown:
        return f"Showing {shown:,} of {total:,} {plural}. <{link}|See them all in PlanetScale>."
    if total is None and more:
        return f"The first {shown:,} {plural}; there are more. <{link}|See them all in PlanetScale>."
    return f"{shown:,} {noun if shown == 1 else plural}."


def header(title: str) -> HeaderBlock:
    return HeaderBlock(text=truncate(title, HEADER_LIMIT))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def message(text: str, blocks: Sequence[Block]) -> Message:
    return Message(text=truncate(text, TEXT_LIMIT), blocks=tuple(block.to_dict() for block in blocks))


def more_line(hidden: int, *, link: str | None = None) -> str:
    """What stands for the lines a message had no room for, and where to see them."""
    where = f" <{link}|See them all in PlanetScale>." if link else ""
    return f"…and {hidden:,} more not shown here.{where}"


def list_message(*, title: str, lines: Sequence[str], empty: str, footer: str, link: str | None = None) -> Message:
    """`title` is plain text (a header); `lines`, `empty` and `footer` are mrkdwn, escaped by the caller.

    A header, as many of the lines as one message holds (then "…and N more", with `link` to see them all), and
    the count footer."""
    budget = Budget().keep(len(title) + len(footer) + MORE_LINE, blocks=3)
    packed = pack_lines(lines, budget)
    blocks: list[Block] = [header(title), *(section(text) for text in packed.sections or [empty])]
    hidden = len(lines) - packed.shown
    if hidden:
        blocks.append(context(more_line(hidden, link=link)))
    blocks.append(context(footer))
    shown = list(lines[: packed.shown]) or [empty]
    return message(f"{escape(title)}\n" + "\n".join(shown) + f"\n{footer}", blocks)


def facts_message(*, title: str, facts: Sequence[tuple[str, str]], link: str | None) -> Message:
    body = "\n".join(f"*{name}:* {value}" for name, value in facts)
    blocks: list[Block] = [header(title), section(body)]
    if link:
        blocks.append(context(f"<{link}|Open in PlanetScale>"))
    return message(f"{escape(title)}\n{body}", blocks)
