"""The stand-in's model of one Slack workspace: users, channels, messages, modals and trigger ids.

Everything here is guarded by one lock because the stand-in is mutated on uvicorn's event loop while tests read it
from their own thread. Failures are `SlackError(code)` with Slack's own error codes, so the Web API layer only has
to turn them into `{"ok": false, "error": code}`.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.slack.errors import SlackError
from bot.sandbox.slack.limits import (
    HOME_ONLY,
    MODAL_ONLY,
    MODAL_OR_HOME,
    WRONG_VIEW_TYPE,
    check_message,
    check_view,
)
from bot.sandbox.slack.scopes import ChannelKind

__all__ = ["JSON", "ChannelKind", "Clock", "OpenView", "SlackChannel", "SlackError", "SlackUser", "StoredMessage",
           "Workspace", "new_id"]

Clock = Callable[[], float]
JSON = dict[str, Any]

MAX_VIEW_STACK = 3  # views.push: "push_limit_reached" beyond three views
# views.publish: "view_too_large" for a view over 250 kB (https://docs.slack.dev/reference/methods/views.publish).
MAX_PUBLISHED_VIEW_BYTES = 250_000
TRIGGER_LIFETIME_SECONDS = 3.0  # https://api.slack.com/docs/triggers: "expire in three seconds", single use

_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_id(prefix: str, length: int = 10) -> str:
    """A Slack-looking id (`U…`, `C…`, `V…`): upper-case letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass
class SlackUser:
    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "UTC"
    email: str | None = None

    def to_api(self, *, team_id: str, now: float, with_email: bool = False) -> JSON:
        """The `user` object of `users.info`; `tz_offset` is the zone's offset at `now`, as Slack computes it.
        `profile.email` only `with_email` (the token holds `users:read.email`), as Slack leaves it out otherwise."""
        local = datetime.fromtimestamp(now, tz=UTC).astimezone(ZoneInfo(self.tz))
        offset = local.utcoffset()
        profile: JSON = {"real_name": self.real_name, "display_name": self.name, "team": team_id}
        if with_email and self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": self.tz,
            "tz_label": local.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
        }


@dataclass
class SlackChannel:
    """A conversation: a public channel unless `is_private`, `is_im` (a direct message) or `is_mpim` (a group DM).
    `bot_is_member`: whether the bot was invited (or, for a DM, whether it is the bot's own DM with someone)."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    bot_is_member: bool = True
    members: set[str] = field(default_factory=set)

    @property
    def kind(self) -> ChannelKind:
        if self.is_im:
            return ChannelKind.IM
        if self.is_mpim:
            return ChannelKind.MPIM
        return ChannelKind.PRIVATE if self.is_private else ChannelKind.PUBLIC

    def to_api(self, *, created: int) -> JSON:
        kind = self.kind
        return {
            "id": self.id,
            "name": self.name,
            "created": created,
            "is_channel": kind is ChannelKind.PUBLIC,
            "is_group": kind is ChannelKind.PRIVATE,
            "is_im": kind is ChannelKind.IM,
            "is_mpim": kind is ChannelKind.MPIM,
            "is_private": kind is not ChannelKind.PUBLIC,
            "is_archived": False,
            "is_member": self.bot_is_member,
            "num_members": len(self.members) + int(self.bot_is_member),
        }


@dataclass
class StoredMessage:
    """One message as the channel shows it; `visible_to` makes it ephemeral (seen by that user only)."""

    channel: str
    ts: str
    author: str
    text: str
    blocks: list[JSON]
    source: str
    thread_ts: str | None = None
    visible_to: str | None = None
    bot_id: str | None = None
    metadata: JSON | None = None
    edited: bool = False
    deleted: bool = False
    unfurls: dict[str, JSON] = field(default_factory=dict)
    seq: int = 0

    def to_api(self) -> JSON:
        """The message object as Slack returns it (`chat.postMessage`'s `message`, a payload's `message`)."""
        body: JSON = {"type": "message", "user": self.author, "text": self.text, "ts": self.ts}
        if self.blocks:
            body["blocks"] = copy.deepcopy(self.blocks)
        if self.bot_id:
            body["bot_id"] = self.bot_id
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.metadata:
            body["metadata"] = copy.deepcopy(self.metadata)
        return body

    def to_view(self) -> JSON:
        """What the emulator page needs to draw (and redraw) this message."""
        return {
            "channel": self.channel,
            "ts": self.ts,
            "user": self.author,
            "is_bot": self.bot_id is not None,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
            "thread_ts": self.thread_ts,
            "ephemeral": self.visible_to is not None,
            "edited": self.edited,
            "deleted": self.deleted,
            "unfurls": [{"url": url, **copy.deepcopy(unfurl)} for url, unfurl in self.unfurls.items()],
            "source": self.source,
            "seq": self.seq,
        }


@dataclass
class OpenView:
    """A modal on some user's screen; `view` is the object Slack returns (with id, hash, state)."""

    user: str
    view: JSON
    seq: int = 0

    @property
    def id(self) -> str:
        return str(self.view["id"])


@dataclass
class _Trigger:
    user: str
    issued_at: float
    used: bool = False


class Workspace:
    """Users, channels and what they contain; every change bumps `seq` so pollers can ask "what changed since"."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        team_name: str,
        bot_user_id: str,
        bot_id: str,
        api_app_id: str,
        clock: Clock = time.time,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.api_app_id = api_app_id
        self.clock = clock
        self.lock = threading.RLock()
        self._users: dict[str, SlackUser] = {}
        self._channels: dict[str, SlackChannel] = {}
        self._messages: dict[tuple[str, str], StoredMessage] = {}
        self._views: dict[str, OpenView] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._homes: dict[str, OpenView] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._seq = 0
        self._last_ts_micros = 0
        self._created = int(clock())
        # Goes up when every conversation is forgotten, so a page showing the old ones knows to start over.
        self.generation = 0

    # -- directory -----------------------------------------------------------------------------------------
    def add_user(self, user: SlackUser) -> SlackUser:
        with self.lock:
            self._users[user.id] = user
            return user

    def add_channel(self, channel: SlackChannel) -> SlackChannel:
        with self.lock:
            self._channels[channel.id] = channel
            return channel

    def user(self, user_id: str) -> SlackUser:
        with self.lock:
            found = self._users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def users(self) -> list[SlackUser]:
        with self.lock:
            return list(self._users.values())

    def channel(self, channel_id: str) -> SlackChannel:
        with self.lock:
            found = self._channels.get(channel_id)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def visible_channel(self, channel_id: object) -> SlackChannel | None:
        """The conversation as the bot's token sees it: Slack hides private channels, DMs and group DMs the bot is
        not in, as if they did not exist (https://github.com/slackapi/bolt-js/issues/365).
        A user id stands for the bot's DM with that user."""
        if not isinstance(channel_id, str):
            return None
        with self.lock:
            if channel_id in self._users:
                return self.direct_message_with(channel_id)
            found = self._channels.get(channel_id)
        if found is None or (found.kind is not ChannelKind.PUBLIC and not found.bot_is_member):
            return None
        return found

    def channel_info(self, channel_id: str) -> JSON:
        channel = self.visible_channel(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel.to_api(created=self._created)

    @staticmethod
    def direct_message_id(user_id: str) -> str:
        """The id of the bot's DM with `user_id` (the app's Messages tab), whether or not it is open yet."""
        return "D" + user_id.removeprefix("U")

    def direct_message_with(self, user_id: str) -> SlackChannel:
        """The bot's DM with `user_id`, opened on first use as `chat.postMessage` does."""
        dm_id = self.direct_message_id(user_id)
        with self.lock:
            existing = self._channels.get(dm_id)
            if existing is not None:
                return existing
        return self.add_channel(
            SlackChannel(id=dm_id, name=user_id, is_im=True, bot_is_member=True, members={user_id})
        )

    def _postable_channel(self, channel_id: str, *, public_ok: bool) -> SlackChannel:
        """Where the bot may post: a conversation it is in, or with `public_ok` (`chat:write.public`) any public
        channel. A public channel it is not in says `not_in_channel`; others it cannot see, `channel_not_found`."""
        channel = self.visible_channel(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        if not channel.bot_is_member and not public_ok:
            raise SlackError("not_in_channel")
        return channel

    def forget_conversations(self) -> None:
        """Every message, open modal, trigger id and direct-message channel goes; users and channels stay."""
        with self.lock:
            self._messages.clear()
            self._views.clear()
            self._view_stacks.clear()
            self._homes.clear()
            self._triggers.clear()
            for channel_id in [cid for cid, channel in self._channels.items() if channel.is_im]:
                del self._channels[channel_id]
            self.generation += 1
            self._bump()

    # -- messages ------------------------------------------------------------------------------------------
    def next_ts(self) -> str:
        """`seconds.micros` like Slack's ts, strictly increasing so it can serve as the message's key."""
        with self.lock:
            micros = max(int(self.clock() * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _bump(self) -> int:
        self._seq += 1
        return self._seq

    def post(
        self,
        *,
        channel: str,
        author: str,
        text: str,
        blocks: object,
        source: str,
        thread_ts: str | None = None,
        visible_to: str | None = None,
        as_bot: bool = True,
        metadata: JSON | None = None,
        check_membership: bool = True,
        public_ok: bool = False,
    ) -> StoredMessage:
        """Store a new message. `check_membership`: as the Web API does (see `_postable_channel`); the
        response_url and people typing in the emulator post wherever they are."""
        checked_blocks = check_message(text, blocks)
        if not text and not checked_blocks:
            raise SlackError("no_text")
        with self.lock:
            # Like Slack, a user id as the channel means the bot's direct message with that user.
            channel = self.direct_message_with(channel).id if channel in self._users else channel
            target = (
                self._postable_channel(channel, public_ok=public_ok) if check_membership else self.channel(channel)
            )
            if visible_to is not None:
                self.user(visible_to)
                if target.members and visible_to not in target.members:
                    raise SlackError("user_not_in_channel")
            parent_ts = None
            if thread_ts:
                parent = self._messages.get((channel, thread_ts))
                if parent is None or parent.deleted:
                    raise SlackError("thread_not_found")
                parent_ts = parent.thread_ts or parent.ts  # a reply to a reply joins the parent's thread
            message = StoredMessage(
                channel=channel,
                ts=self.next_ts(),
                author=author,
                text=text,
                blocks=checked_blocks,
                source=source,
                thread_ts=parent_ts,
                visible_to=visible_to,
                bot_id=self.bot_id if as_bot else None,
                metadata=metadata,
                seq=self._bump(),
            )
            self._messages[(channel, message.ts)] = message
            return message

    def message(self, channel: str, ts: str, *, include_ephemeral: bool = False) -> StoredMessage:
        with self.lock:
            found = self._messages.get((channel, ts))
        if found is None or found.deleted or (found.visible_to is not None and not include_ephemeral):
            raise SlackError("message_not_found")
        return found

    def own_message(self, channel: str, ts: str, *, refusal: str) -> StoredMessage:
        """A message the bot may edit or delete: it exists, is not ephemeral, and the bot posted it."""
        self.channel(channel)
        found = self.message(channel, ts)
        if found.bot_id != self.bot_id:
            raise SlackError(refusal)
        return found

    def replace(self, message: StoredMessage, *, text: str, blocks: object, edited: bool = True) -> None:
        checked_blocks = check_message(text, blocks)
        if not text and not checked_blocks:
            raise SlackError("no_text")
        with self.lock:
            message.text = text
            message.blocks = checked_blocks
            message.edited = edited
            message.seq = self._bump()

    def delete(self, message: StoredMessage) -> None:
        with self.lock:
            message.deleted = True
            message.seq = self._bump()

    def set_unfurls(self, message: StoredMessage, unfurls: dict[str, JSON]) -> None:
        with self.lock:
            message.unfurls.update(copy.deepcopy(unfurls))
            message.seq = self._bump()

    def messages(
        self, channel: str | None = None, *, viewer: str | None = None, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages in posting order; ephemerals only for `viewer` (none when `viewer` is None)."""
        with self.lock:
            return [
                message
                for message in self._messages.values()
                if (channel is None or message.channel == channel)
                and (include_deleted or not message.deleted)
                and (message.visible_to is None or message.visible_to == viewer)
            ]

    def changes_since(
        self, seq: int, *, channels: Collection[str], viewer: str
    ) -> tuple[int, list[StoredMessage]]:
        """(the current seq, messages in any of `channels` seen by `viewer` that changed after `seq`)."""
        with self.lock:
            changed = [
                message
                for message in self.messages(viewer=viewer, include_deleted=True)
                if message.channel in channels and message.seq > seq
            ]
            return self._seq, changed

    # -- trigger ids and modals ----------------------------------------------------------------------------
    def new_trigger_id(self, user: str) -> str:
        trigger_id = f"{int(self.clock())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        with self.lock:
            self._triggers[trigger_id] = _Trigger(user=user, issued_at=self.clock())
        return trigger_id

    def _exchange_trigger(self, trigger_id: object) -> str:
        with self.lock:
            trigger = self._triggers.get(str(trigger_id))
            if trigger is None:
                raise SlackError("invalid_trigger_id")
            if trigger.used:
                raise SlackError("exchanged_trigger_id")
            if self.clock() - trigger.issued_at > TRIGGER_LIFETIME_SECONDS:
                raise SlackError("expired_trigger_id")
            trigger.used = True
            return trigger.user

    def _decorate(self, view: JSON, *, view_id: str, root_view_id: str, previous_view_id: str | None) -> JSON:
        """Add the fields Slack adds to a view it shows (a new `hash` each time the content changes)."""
        view.update(
            {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.api_app_id,
                "bot_id": self.bot_id,
                "hash": f"{int(self.clock())}.{secrets.token_hex(4)}",
                "state": {"values": {}},
                "root_view_id": root_view_id,
                "previous_view_id": previous_view_id,
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", ""),
            }
        )
        return view

    def _new_view(self, *, user: str, view: JSON, root_view_id: str | None, previous_view_id: str | None) -> OpenView:
        view_id = new_id("V")
        decorated = self._decorate(
            view, view_id=view_id, root_view_id=root_view_id or view_id, previous_view_id=previous_view_id
        )
        stored = OpenView(user=user, view=decorated, seq=self._bump())
        self._views[view_id] = stored
        return stored

    def open_view(self, *, trigger_id: object, view: object) -> OpenView:
        checked = check_view(view, view_types=MODAL_ONLY)
        with self.lock:
            user = self._exchange_trigger(trigger_id)
            for old in self._view_stacks.get(user, []):
                self._views.pop(old, None)
            stored = self._new_view(user=user, view=checked, root_view_id=None, previous_view_id=None)
            self._view_stacks[user] = [stored.id]
            return stored

    def push_view(self, *, trigger_id: object, view: object) -> OpenView:
        checked = check_view(view, view_types=MODAL_ONLY)
        with self.lock:
            return self._push(self._exchange_trigger(trigger_id), checked)

    def _push(self, user: str, view: JSON) -> OpenView:
        stack = self._view_stacks.get(user, [])
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackError("push_limit_reached")
        stored = self._new_view(user=user, view=view, root_view_id=stack[0], previous_view_id=stack[-1])
        stack.append(stored.id)
        return stored

    def update_view(self, *, view_id: object, external_id: object, view_hash: object, view: object) -> OpenView:
        """`views.update`: a modal by its id or external_id, or a Home tab by its id, each with a view of its own
        surface; a modal cannot become a Home tab, nor the reverse (the same enum refusal as views.open's)."""
        checked = check_view(view, view_types=MODAL_OR_HOME)
        with self.lock:
            current = self._find_view(view_id=view_id, external_id=external_id)
            if checked["type"] != current.view["type"]:
                raise SlackError("invalid_arguments", (WRONG_VIEW_TYPE,))
            if view_hash and view_hash != current.view["hash"]:
                raise SlackError("hash_conflict")
            return self._replace_view(current, checked)

    def _replace_view(self, current: OpenView, view: JSON) -> OpenView:
        # Slack keeps the view's id (and its place in the stack) across updates.
        current.view = self._decorate(
            view,
            view_id=current.id,
            root_view_id=str(current.view["root_view_id"]),
            previous_view_id=current.view["previous_view_id"],
        )
        current.seq = self._bump()
        return current

    def answer_submission(self, *, user: str, view_id: str, response: JSON) -> JSON | None:
        """Apply a `view_submission` ack: `errors` stay on screen (returned), update/push/clear act, else close."""
        action = response.get("response_action")
        with self.lock:
            current = self._find_view(view_id=view_id, external_id=None)
            if action == "errors":
                errors = response.get("errors")
                return errors if isinstance(errors, dict) else {}
            if action == "update":
                self._replace_view(current, check_view(response.get("view"), view_types=MODAL_ONLY))
            elif action == "push":
                self._push(user, check_view(response.get("view"), view_types=MODAL_ONLY))
            elif action == "clear":
                self.close_all_views(user)
            else:
                self.close_top_view(user)
            return None

    def _find_view(self, *, view_id: object, external_id: object) -> OpenView:
        """An open modal or a published Home tab: views.update reaches both."""
        if view_id:
            found = self._views.get(str(view_id)) or next(
                (home for home in self._homes.values() if home.id == view_id), None
            )
        elif external_id:
            shown = [*self._views.values(), *self._homes.values()]
            found = next((v for v in shown if v.view.get("external_id") == external_id), None)
        else:
            raise SlackError("invalid_arguments")
        if found is None:
            raise SlackError("not_found")
        return found

    def publish_home(self, *, user_id: object, view: object, view_hash: object) -> OpenView:
        """`views.publish`: the Home tab `user_id` sees from now on. Only a `home` view; an unknown user is
        `invalid_arguments` ("invalid `user_id`", Slack's documented example); a `hash` that is not the current
        one's is `hash_conflict`; over 250 kB is `view_too_large`."""
        checked = check_view(view, view_types=HOME_ONLY)
        if len(json.dumps(checked).encode()) > MAX_PUBLISHED_VIEW_BYTES:
            raise SlackError("view_too_large")
        with self.lock:
            if not isinstance(user_id, str) or user_id not in self._users:
                raise SlackError("invalid_arguments", ("invalid `user_id`",))
            current = self._homes.get(user_id)
            if view_hash and (current is None or view_hash != current.view["hash"]):
                raise SlackError("hash_conflict")
            view_id = current.id if current is not None else new_id("V")
            decorated = self._decorate(checked, view_id=view_id, root_view_id=view_id, previous_view_id=None)
            stored = OpenView(user=user_id, view=decorated, seq=self._bump())
            self._homes[user_id] = stored
            return stored

    def home(self, user_id: str) -> OpenView | None:
        """What `user_id`'s Home tab shows (None until the app publishes one)."""
        with self.lock:
            return self._homes.get(user_id)

    def view(self, view_id: str) -> OpenView:
        with self.lock:
            return self._find_view(view_id=view_id, external_id=None)

    def top_view(self, user: str) -> OpenView | None:
        with self.lock:
            stack = self._view_stacks.get(user, [])
            return self._views[stack[-1]] if stack else None

    def views(self) -> list[OpenView]:
        with self.lock:
            return list(self._views.values())

    def close_top_view(self, user: str) -> None:
        """The user submitted or closed the top modal: it goes, the one below (if any) shows again."""
        with self.lock:
            stack = self._view_stacks.get(user, [])
            if stack:
                self._views.pop(stack.pop(), None)
            self._seq += 1

    def close_all_views(self, user: str) -> None:
        with self.lock:
            for view_id in self._view_stacks.pop(user, []):
                self._views.pop(view_id, None)
            self._seq += 1
