"""How much one Slack message may hold, and fitting long content into it (pure).

Slack refuses a message with more than 50 blocks or a section over 3,000 characters (`invalid_blocks`), and, not
documented, one whose blocks carry about 12,000 characters of text or more in all (`msg_blocks_too_long`,
https://github.com/slackapi/bolt-js/issues/2509; docs/reference/slack.md §1.4). Renderers of content that can grow
(lists, diffs, digests) build through a `Budget`, which keeps a message well under all three. What does not fit
is counted, so the renderer can say "…and N more" with a way to see the rest; nothing is cut silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render.mrkdwn import truncate

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
# Characters of text in a message's blocks: Slack has refused 11,341–13,297 (bolt-js #2509, #2867); stay far below.
MESSAGE_TEXT = 9000


@dataclass
class Budget:
    """What is left of one message: characters of block text and blocks. `take` spends, or refuses to."""

    text: int = MESSAGE_TEXT
    blocks: int = MAX_BLOCKS

    @classmethod
    def for_view(cls) -> Budget:
        """A modal: 100 blocks. Slack documents no total for a view's text; a message's would cut a diff short."""
        return cls(text=MAX_VIEW_BLOCKS * SECTION_TEXT, blocks=MAX_VIEW_BLOCKS)

    def fits(self, characters: int, blocks: int = 1) -> bool:
        return characters <= self.text and blocks <= self.blocks

    def take(self, characters: int, blocks: int = 1) -> bool:
        if not self.fits(characters, blocks):
            return False
        self.text -= characters
        self.blocks -= blocks
        return True

    def keep(self, characters: int, blocks: int = 1) -> Budget:
        """Set aside room for what must come after (a footer, a "…and N more" line); returns what is left."""
        return Budget(text=self.text - characters, blocks=self.blocks - blocks)


@dataclass(frozen=True)
class Packed:
    """Lines packed into section texts, and how many of the given lines made it."""

    sections: list[str]
    shown: int


def pack_lines(lines: Sequence[str], budget: Budget) -> Packed:
    """As many of `lines` as fit, in order, in sections of at most 3,000 characters (a longer line is cut), spending
    `budget`. Stops at the first line that does not fit, so what is shown is always a prefix."""
    sections: list[str] = []
    current = ""
    shown = 0
    for given in lines:
        line = truncate(given, SECTION_TEXT)
        if current and len(current) + 1 + len(line) <= SECTION_TEXT:
            if not budget.take(len(line) + 1, blocks=0):
                break
            current = f"{current}\n{line}"
        else:
            if not budget.take(len(line), blocks=1):
                break
            if current:
                sections.append(current)
            current = line
        shown += 1
    if current:
        sections.append(current)
    return Packed(sections, shown)
