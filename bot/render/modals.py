"""The deploy-request create form (`dr create` with no arguments); the branch form lives in render/branches.py."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

BRANCH_CREATE = "branch_create"
DR_CREATE = "dr_create"

# Block ids double as the command's words, so a submission turns back into the typed command it stands for.
_FIELDS: dict[str, list[tuple[str, str, str, bool]]] = {
    DR_CREATE: [
        ("database", "Database", "shop", False),
        ("branch", "Branch with the schema change", "add-index", False),
        ("into", "Deploy into (optional; default: the branch's parent)", "main", True),
        ("notes", "Notes (optional)", "Adds an index on orders.user_id", True),
    ],
}
_TITLES = {DR_CREATE: ("Open a deploy request", "Open")}


def create_modal(callback_id: str, *, channel_id: str, default_database: str | None) -> dict[str, Any]:
    title, submit = _TITLES[callback_id]
    blocks = [
        InputBlock(
            block_id=name,
            label=label,
            optional=optional,
            element=PlainTextInputElement(
                action_id="value",
                placeholder=f"e.g. {example}",
                initial_value=default_database if name == "database" and default_database else None,
                multiline=name == "notes",
            ),
        )
        for name, label, example, optional in _FIELDS[callback_id]
    ]
    view = View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"channel": channel_id}),
    )
    return view.to_dict()


def submitted_values(state_values: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        value = (actions.get("value") or {}).get("value")
        if value and str(value).strip():
            values[block_id] = str(value).strip()
    return values


def command_text(values: dict[str, str]) -> str:
    """The `/pscale` text the submission stands for; quoted so notes with spaces stay one argument."""
    words = ["deploy-request create"]
    words += [_quoted(values.get("database", "")), _quoted(values.get("branch", ""))]
    for flag in ("into", "notes"):
        if flag in values:
            words.append(f"--{flag}={_quoted(values[flag])}")
    return " ".join(words)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', "'") + '"'
