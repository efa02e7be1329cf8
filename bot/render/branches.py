"""Branches: the list (one page, a truthful count), one branch, create/delete replies, and the create form.

The form (`callback_id` `branch_create`) has a database picker and, once a database is chosen, a picker for the
branch to branch off; both load their options from PlanetScale as the person types (bot/slack/modals.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.render import listing
from bot.render.message import Message
from bot.render.modals import BRANCH_CREATE, database_picker, picker_option
from bot.render.mrkdwn import escape, slack_date

# Block ids are the command's words, so a submission reads back as `branch create DATABASE BRANCH --from FROM`
# (the database menu's, DATABASE_BLOCK, is shared with the deploy-request form).
NAME_BLOCK = "branch"
PARENT_BLOCK = "from"
DATABASE_PICKER = "branch_create_database"
NAME_INPUT = "branch_create_name"
PARENT_PICKER = "branch_create_from"
MAX_OPTIONS = 100


@dataclass(frozen=True)
class BranchView:
    name: str
    parent: str | None
    production: bool
    ready: bool | None
    created_at: datetime | None
    author: str | None
    html_url: str | None


def branches(org: str, db: str, items: Sequence[BranchView], *, total: int | None, more: bool) -> Message:
    lines = [
        f"• `{escape(item.name)}`{' (production)' if item.production else ''}"
        f"{' from `' + escape(item.parent) + '`' if item.parent else ''}"
        f" — created {slack_date(item.created_at)}"
        for item in items
    ]
    footer = listing.count_line(
        shown=len(items),
        total=total,
        more=more,
        noun="branch",
        plural="branches",
        link=listing.app_link(org, db, "branches"),
    )
    return listing.list_message(title=f"Branches of {org}/{db}", lines=lines, empty="No branches.", footer=footer)


def _readiness(ready: bool | None) -> str:
    if ready is None:
        return "unknown"
    return "ready" if ready else "not ready yet"


def branch(org: str, db: str, item: BranchView) -> Message:
    created = slack_date(item.created_at) + (f" by {escape(item.author)}" if item.author else "")
    facts = [
        ("Production", "yes" if item.production else "no"),
        ("Parent", f"`{escape(item.parent)}`" if item.parent else "none"),
        ("State", _readiness(item.ready)),
        ("Created", created),
    ]
    return listing.facts_message(
        title=f"{org}/{db} branch {item.name}",
        facts=facts,
        link=item.html_url or listing.app_link(org, db, "branches", item.name),
    )


def created(org: str, db: str, item: BranchView) -> Message:
    parent = f"`{escape(item.parent)}`" if item.parent else "the default branch"
    link = item.html_url or listing.app_link(org, db, "branches", item.name)
    ready = "" if item.ready else " It takes a minute or two to be ready."
    return Message(
        text=f":white_check_mark: Created branch `{escape(item.name)}` of `{escape(db)}` from {parent} in "
        f"`{escape(org)}`.{ready} <{link}|Open in PlanetScale>"
    )


def deleted(db: str, name: str) -> Message:
    return Message(text=f":wastebasket: Deleted branch `{escape(name)}` of `{escape(db)}`.")


# --- the create form ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchForm:
    """What the form knows besides its fields; it travels in the view's `private_metadata`."""

    channel_id: str
    organization: str | None
    database: str | None


def picker_options(names: Sequence[str]) -> list[dict[str, Any]]:
    """The answer to an options request: at most Slack's 100."""
    return [picker_option(name).to_dict() for name in names[:MAX_OPTIONS]]


def branch_create_form(form: BranchForm) -> dict[str, Any]:
    blocks: list[Block] = [
        database_picker(action_id=DATABASE_PICKER, database=form.database),
        InputBlock(
            block_id=NAME_BLOCK,
            label="New branch name",
            element=PlainTextInputElement(action_id=NAME_INPUT, placeholder="e.g. add-index", max_length=64),
        ),
    ]
    if form.database:
        blocks.append(
            InputBlock(
                block_id=PARENT_BLOCK,
                label="Branch off",
                optional=True,
                hint=f"Leave empty for the default branch of {form.database}.",
                element=ExternalDataSelectElement(
                    action_id=PARENT_PICKER, placeholder="The default branch", min_query_length=0
                ),
            )
        )
    where = (
        f"In the organization `{escape(form.organization)}`."
        if form.organization
        else "Finding your PlanetScale organization…"
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=where)]))
    view = View(
        type="modal",
        callback_id=BRANCH_CREATE,
        title="Create a branch",
        submit="Create",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps(
            {"channel": form.channel_id, "org": form.organization, "database": form.database}
        ),
    )
    return view.to_dict()


def form_of(private_metadata: str) -> BranchForm:
    """The inverse of what `branch_create_form` stores; a form from elsewhere reads as empty, never raises."""
    try:
        stored = json.loads(private_metadata or "{}")
    except json.JSONDecodeError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}

    def text(key: str) -> str | None:
        value = stored.get(key)
        return value if isinstance(value, str) and value else None

    return BranchForm(channel_id=text("channel") or "", organization=text("org"), database=text("database"))


def form_notice(text: str) -> dict[str, Any]:
    """The form replaced by a sentence, when it cannot be filled (e.g. the organization is ambiguous)."""
    view = View(
        type="modal",
        callback_id=BRANCH_CREATE,
        title="Create a branch",
        close="Close",
        blocks=[ContextBlock(elements=[MarkdownTextObject(text=text)])],
    )
    return view.to_dict()
