"""The create forms: `branch create` and `deploy-request create` with no arguments.

Both start with a database menu and, once a database is chosen (or the channel has one), add menus of its branches;
every menu loads its options from PlanetScale as the person types (bot/commands/forms.py `BranchPickers`). Both keep
the same `private_metadata` (`FormContext`), so one set of pickers and one options listener serve them both.

Block ids are the command's parameter and flag names, so a submission's entries reach the grammar by name
(bot/commands/forms.py). Action ids say what a menu offers: the options listener answers each menu by its action id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

DATABASE_BLOCK = "database"
BRANCH_BLOCK = "branch"  # the new branch's name, or the branch with the schema change
PARENT_BLOCK = "from"
INTO_BLOCK = "into"
NOTES_BLOCK = "notes"
AUTO_APPLY_BLOCK = "auto-apply"  # its choices are the command's switches, below

BRANCH_DATABASE_PICKER = "branch_create_database"
BRANCH_NAME_INPUT = "branch_create_name"
BRANCH_PARENT_PICKER = "branch_create_from"
DR_DATABASE_PICKER = "dr_create_database"
DR_BRANCH_PICKER = "dr_create_branch"
DR_INTO_PICKER = "dr_create_into"
DR_NOTES_INPUT = "dr_create_notes"
DR_AUTO_APPLY_CHOICE = "dr_create_auto_apply"

# The auto-apply choice's values are the command's switches; "inherit" turns none on, so PlanetScale's default applies.
INHERIT_AUTO_APPLY = "inherit"
AUTO_APPLY_SWITCHES = ("enable-auto-apply", "disable-auto-apply")
_AUTO_APPLY_CHOICES = (
    (INHERIT_AUTO_APPLY, "PlanetScale's default"),
    ("disable-auto-apply", "Gated: wait for someone to apply the deployed changes"),
    ("enable-auto-apply", "Apply the changes as soon as the deployment is ready"),
)

_TITLES = {BRANCH_CREATE: "Create a branch", DR_CREATE: "Open a deploy request"}
MAX_OPTIONS = 100  # Slack's limit for an options answer
_OPTION_TEXT_LIMIT = 75  # Slack's limit for an option's text
_NAME_LENGTH = 64  # the longest name the grammar accepts


@dataclass(frozen=True)
class FormContext:
    """What a form knows besides its fields; it travels in the view's `private_metadata`."""

    channel_id: str
    organization: str | None
    database: str | None


def form_of(private_metadata: str) -> FormContext:
    """The inverse of what the forms store; a view from elsewhere reads as empty, never raises."""
    try:
        stored = json.loads(private_metadata or "{}")
    except json.JSONDecodeError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}

    def text(key: str) -> str | None:
        value = stored.get(key)
        return value if isinstance(value, str) and value else None

    return FormContext(channel_id=text("channel") or "", organization=text("org"), database=text("database"))


def _metadata(form: FormContext) -> str:
    return json.dumps({"channel": form.channel_id, "org": form.organization, "database": form.database})


def picker_option(name: str) -> Option:
    """A menu entry for a database or branch name (shortened for display only; the value stays whole)."""
    label = name if len(name) <= _OPTION_TEXT_LIMIT else name[: _OPTION_TEXT_LIMIT - 1] + "…"
    return Option(text=label, value=name)


def picker_options(names: Sequence[str]) -> list[dict[str, Any]]:
    """The answer to an options request: at most Slack's 100."""
    return [picker_option(name).to_dict() for name in names[:MAX_OPTIONS]]


def _database_picker(*, action_id: str, database: str | None) -> InputBlock:
    """The menu both forms start with. Choosing tells the bot at once (`dispatch_action`), so the form can be
    redrawn with menus of that database's branches."""
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


def _branch_picker(*, block_id: str, label: str, action_id: str, placeholder: str, hint: str | None) -> InputBlock:
    """A menu of the chosen database's branches; with a `hint`, it may be left empty (the hint says what then)."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=hint is not None,
        hint=hint,
        element=ExternalDataSelectElement(action_id=action_id, placeholder=placeholder, min_query_length=0),
    )


def _where(organization: str | None) -> ContextBlock:
    # Without an org: drawn so for the moment between opening the form and learning the org (bot/commands/forms.py).
    text = (
        f"In the organization `{escape(organization)}`." if organization else "Finding your PlanetScale organization…"
    )
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _modal(callback_id: str, form: FormContext, blocks: list[Block], *, submit: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=_TITLES[callback_id],
        submit=submit,
        close="Cancel",
        blocks=[*blocks, _where(form.organization)],
        private_metadata=_metadata(form),
    )
    return view.to_dict()


def branch_create_form(form: FormContext) -> dict[str, Any]:
    blocks: list[Block] = [
        _database_picker(action_id=BRANCH_DATABASE_PICKER, database=form.database),
        InputBlock(
            block_id=BRANCH_BLOCK,
            label="New branch name",
            element=PlainTextInputElement(
                action_id=BRANCH_NAME_INPUT, placeholder="e.g. add-index", max_length=_NAME_LENGTH
            ),
        ),
    ]
    if form.database:
        blocks.append(
            _branch_picker(
                block_id=PARENT_BLOCK,
                label="Branch off",
                action_id=BRANCH_PARENT_PICKER,
                placeholder="The default branch",
                hint=f"Leave empty for the default branch of {form.database}.",
            )
        )
    return _modal(BRANCH_CREATE, form, blocks, submit="Create")


def dr_create_form(form: FormContext) -> dict[str, Any]:
    """The branch menus appear once there is a database to list branches of (chosen or the channel's)."""
    blocks: list[Block] = [_database_picker(action_id=DR_DATABASE_PICKER, database=form.database)]
    if form.database:
        blocks += [
            _branch_picker(
                block_id=BRANCH_BLOCK,
                label="Branch with the schema change",
                action_id=DR_BRANCH_PICKER,
                placeholder="Choose a branch",
                hint=None,
            ),
            _branch_picker(
                block_id=INTO_BLOCK,
                label="Deploy into",
                action_id=DR_INTO_PICKER,
                placeholder="The branch's parent",
                hint=f"Leave empty for the branch's parent, else the default branch of {form.database}.",
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
    ]
    return _modal(DR_CREATE, form, blocks, submit="Open")


# The forms by callback id.
FORMS: dict[str, Callable[[FormContext], dict[str, Any]]] = {
    BRANCH_CREATE: branch_create_form,
    DR_CREATE: dr_create_form,
}


def form_notice(callback_id: str, text: str) -> dict[str, Any]:
    """A form replaced by a sentence, when it cannot be filled (e.g. the organization is ambiguous)."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=_TITLES[callback_id],
        close="Close",
        blocks=[ContextBlock(elements=[MarkdownTextObject(text=text)])],
    )
    return view.to_dict()
