"""Who this process saw linked a moment ago: the command ack's answer to "linked?" without a storage read.

Every command that needs PlanetScale first asks, in its ack, whether the person is linked, to answer the link
prompt at once instead of a follow-up. Asking storage means a hop to a reader thread and decrypting the grant: most
of what such an ack costs beyond `/pscale help` (bench/ack_wrk.py). The follow-up reads the grant again anyway, for
its token, so the ack may trust a recent "yes":

- Only "yes" is remembered. Someone who links (in their browser, served by any replica) is recognised by their
  very next command, wherever it lands.
- A "yes" gone stale (logged out or revoked through another replica within the minute) leads to no wrong answer:
  the follow-up finds no grant, and the `NotLinked` it gets is answered with the same link prompt, through
  `response_url` a few milliseconds later rather than in the ack. This process's own logout, forgetting and dead
  grants clear their entries at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Literal

__all__ = ["LINKED_MEMO_SECONDS", "LinkedMemo"]

LINKED_MEMO_SECONDS = 60.0
# Bounded so a workspace of many people costs a fixed amount of memory: the oldest entries go first.
LINKED_MEMO_ENTRIES = 10_000

Person = tuple[str, str]  # (team_id, user_id)


class LinkedMemo:
    def __init__(
        self,
        *,
        seconds: float = LINKED_MEMO_SECONDS,
        entries: int = LINKED_MEMO_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._entries = entries
        self._clock = clock
        self._seen_until: OrderedDict[Person, float] = OrderedDict()

    def __contains__(self, person: Person) -> bool:
        until = self._seen_until.get(person)
        if until is None:
            return False
        if until <= self._clock():
            del self._seen_until[person]
            return False
        return True

    def remember(self, person: Person) -> None:
        self._seen_until[person] = self._clock() + self._seconds
        self._seen_until.move_to_end(person)
        while len(self._seen_until) > self._entries:
            self._seen_until.popitem(last=False)

    def forget(self, team_id: str, user_ids: Collection[str] | Literal["all"]) -> None:
        gone = [
            person for person in self._seen_until
            if person[0] == team_id and (user_ids == "all" or person[1] in user_ids)
        ]
        for person in gone:
            del self._seen_until[person]
