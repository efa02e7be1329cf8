"""The deploy-request create form (`dr create` with no arguments); the branch form lives in render/branches.py.

Both forms keep the same `private_metadata` — `{"channel", "org", "database"}`, read back by render/branches.py
`form_of` — so one set of pickers (bot/commands/branches.py `BranchPickers`) and one options listener
(bot/slack/modals.py) serve them both. A submission turns back into the typed command it stands for.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.render.mrkdwn import escape

BRANCH_CREATE = "branch_create"
DR_CREATE = "dr_create"

# Block ids are the command's words, so a submission reads back as
# `deploy-request create DATABASE BRANCH --into INTO --notes NOTES --enable-auto-apply` (see `command_text`).
DATABASE_BLOCK = "database"
BRANCH_BLOCK = "branch"
INTO_BLOCK = "into"
NOTES_BLOCK = "notes"
AUTO_APPLY_BLOCK = "auto-apply"
# Action ids say what a menu offers: the options listener answers each picker by its action id.
DR_DATABASE_PICKER = "dr_create_database"
DR_BRANCH_PICKER = "dr_create_branch"
DR_INTO_PICKER = "dr_create_into"
DR_NOTES_INPUT = "dr_create_notes"
DR_AUTO_APPLY_CHOICE = "dr_create_auto_apply"
# The auto-apply choice's values are the command's flags; "inherit" adds none, so PlanetScale's default applies.
INHERIT_AUTO_APPLY = "inherit"
AUTO_APPLY_FLAGS = ("enable-auto-apply", "disable-auto-apply")
_AUTO_APPLY_CHOICES = (
    (INHERIT_AUTO_APPLY, "PlanetScale's default"),
    ("disable-auto-apply", "Gated: wait for someone to apply the deployed changes"),
    ("enable-auto-apply", "Apply the changes as soon as the deployment is ready"),
)
_OPTION_TEXT_LIMIT = 75  # Slack's limit for an option's text


def picker_option(name: str) -> Option:
    """A menu entry for a database or branch name (shortened for display only; the value stays whole)."""
    label = name if len(name) <= _OPTION_TEXT_LIMIT else name[: _OPTION_TEXT_LIMIT - 1] + "…"
    return Option(text=label, value=name)


def database_picker(*, action_id: str, database: str | None) -> InputBlock:
    """The database menu both create forms start with. Choosing tells the bot at once (`dispatch_action`), so the
    form can be redrawn with menus of that database's branches."""
    return InputBlock(
        block_id=DATABASE_BLOCK,
        label="Database",
        dispatch_action=True,
        element=ExternalDataSelectElement(
            action_id=action_id,
            placeholder="Choose a database",
            min_query_length=0,
            initial_option=picker_option(database) if database else None,
        ),
    )


def dr_create_form(*, channel_id: str, organization: str | None, database: str | None) -> dict[str, Any]:
    """The form; the branch menus appear once there is a database to list branches of (chosen or the channel's)."""
    blocks: list[Block] = [database_picker(action_id=DR_DATABASE_PICKER, database=database)]
    if database:
        blocks += [
            InputBlock(
                block_id=BRANCH_BLOCK,
                label="Branch with the schema change",
                element=ExternalDataSelectElement(
                    action_id=DR_BRANCH_PICKER, placeholder="Choose a branch", min_query_length=0
                ),
            ),
            InputBlock(
                block_id=INTO_BLOCK,
                label="Deploy into",
                optional=True,
                hint=f"Leave empty for the branch's parent, else the default branch of {database}.",
                element=ExternalDataSelectElement(
                    action_id=DR_INTO_PICKER, placeholder="The branch's parent", min_query_length=0
                ),
            ),
        ]
    choices = {value: Option(text=label, value=value) for value, label in _AUTO_APPLY_CHOICES}
    blocks += [
        InputBlock(
            block_id=NOTES_BLOCK,
            label="Notes for reviewers",
            optional=True,
            element=PlainTextInputElement(
                action_id=DR_NOTES_INPUT, placeholder="e.g. Adds an index on orders.user_id", multiline=True
            ),
        ),
        InputBlock(
            block_id=AUTO_APPLY_BLOCK,
            label="Once deployed",
            element=RadioButtonsElement(
                action_id=DR_AUTO_APPLY_CHOICE,
                options=list(choices.values()),
                initial_option=choices[INHERIT_AUTO_APPLY],
            ),
        ),
        ContextBlock(elements=[MarkdownTextObject(text=_where(organization))]),
    ]
    view = View(
        type="modal",
        callback_id=DR_CREATE,
        title="Open a deploy request",
        submit="Open",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"channel": channel_id, "org": organization, "database": database}),
    )
    return view.to_dict()


def _where(organization: str | None) -> str:
    if organization:
        return f"In the organization `{escape(organization)}`."
    # Drawn so for the moment between opening the form and learning the org (bot/commands/branches.py).
    return "In your PlanetScale organization."


def submitted_values(state_values: dict[str, Any]) -> dict[str, str]:
    """Each block's entry, whether typed (`value`) or picked from a menu or radio (`selected_option.value`)."""
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        for action in (actions or {}).values():
            if not isinstance(action, dict):
                continue
            picked = (action.get("selected_option") or {}).get("value")
            entry = picked if picked is not None else action.get("value")
            if entry is not None and str(entry).strip():
                values[block_id] = str(entry).strip()
    return values


def dr_create_errors(values: dict[str, str]) -> dict[str, str]:
    """What the grammar cannot see, shown beside its field: a deploy request needs two different branches."""
    if BRANCH_BLOCK not in values:
        # Submitted before the redraw that adds the branch menus arrived: there is no branch field to point at yet.
        return {DATABASE_BLOCK: "Choose the branch to deploy too: its menu appears below once a database is chosen."}
    into = values.get(INTO_BLOCK)
    if into is not None and into == values.get(BRANCH_BLOCK):
        return {INTO_BLOCK: "Choose a branch other than the one with the changes, or leave this empty."}
    return {}


def command_text(values: dict[str, str]) -> str:
    """The `/pscale` text the submission stands for; quoted so notes with spaces stay one argument."""
    words = ["deploy-request create"]
    words += [_quoted(values.get(DATABASE_BLOCK, "")), _quoted(values.get(BRANCH_BLOCK, ""))]
    for flag in (INTO_BLOCK, NOTES_BLOCK):
        if flag in values:
            words.append(f"--{flag}={_quoted(values[flag])}")
    if values.get(AUTO_APPLY_BLOCK) in AUTO_APPLY_FLAGS:
        words.append(f"--{values[AUTO_APPLY_BLOCK]}")
    return " ".join(words)


# The grammar reads this text as Slack would have sent it typed: it turns curly quotes straight (a `“` would end
# the quoted word early) and unescapes `&amp; &lt; &gt;` after dropping `<…>` markup, so escape as Slack does.
_QUOTE_SAFE = str.maketrans(
    {'"': "'", "\u201c": "'", "\u201d": "'", "\u201e": "'", "\u201f": "'", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)


def _quoted(value: str) -> str:
    return '"' + value.translate(_QUOTE_SAFE) + '"'
