"""Layout shared by the resource renderers: links to the app, truthful list footers, a list and a facts message.

Pure: strings and view-model values in, `Message`s out. Every message stays inside Slack's limits (≤ 50 blocks,
≤ 3,000 characters a section, a header ≤ 150) and always carries fallback text.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.render.message import Message
from bot.render.mrkdwn import escape, truncate

APP_URL = "https://app.planetscale.com"
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
TEXT_LIMIT = 3000
# A list message is a header, its sections and a footer; the sections may take what is left of Slack's 50 blocks.
MAX_SECTIONS = 45


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


def _sections(lines: Sequence[str]) -> list[str]:
    """Lines packed into section texts of at most SECTION_LIMIT characters each (a longer line is cut)."""
    sections: list[str] = []
    current = ""
    for given in lines:
        line = truncate(given, SECTION_LIMIT)
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        sections.append(current)
    return sections


def header(title: str) -> HeaderBlock:
    return HeaderBlock(text=truncate(title, HEADER_LIMIT))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def message(text: str, blocks: Sequence[Block]) -> Message:
    return Message(text=truncate(text, TEXT_LIMIT), blocks=tuple(block.to_dict() for block in blocks))


def list_message(*, title: str, lines: Sequence[str], empty: str, footer: str) -> Message:
    """`title` is plain text (a header); `lines`, `empty` and `footer` are mrkdwn, escaped by the caller.

    A header, the lines (callers pass only what they read, so nothing is dropped here), and the count footer."""
    sections = _sections(lines) or [empty]
    if len(sections) > MAX_SECTIONS:
        raise ValueError(f"{len(lines)} lines do not fit one message; show fewer")
    blocks: list[Block] = [header(title), *(section(text) for text in sections), context(footer)]
    return message(f"{escape(title)}\n" + "\n".join(lines or [empty]) + f"\n{footer}", blocks)


def facts_message(*, title: str, facts: Sequence[tuple[str, str]], link: str | None) -> Message:
    body = "\n".join(f"*{name}:* {value}" for name, value in facts)
    blocks: list[Block] = [header(title), section(body)]
    if link:
        blocks.append(context(f"<{link}|Open in PlanetScale>"))
    return message(f"{escape(title)}\n{body}", blocks)
