"""The create forms: valid Block Kit in every state, their metadata read back, their menus' options within limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Option
from slack_sdk.models.views import View

from bot.render import forms
from bot.render.forms import FormContext


def _valid(view: dict[str, Any]) -> dict[str, Any]:
    View(**view).validate_json()
    return view


def _blocks(view: dict[str, Any]) -> list[str]:
    return [block.get("block_id", "") for block in view["blocks"]]


def test_the_branch_form_adds_branch_off_once_there_is_a_database() -> None:
    empty = _valid(forms.branch_create_form(FormContext(channel_id="C1", organization=None, database=None)))
    assert empty["callback_id"] == "branch_create"
    assert _blocks(empty)[:2] == ["database", "branch"]
    assert "from" not in _blocks(empty)
    filled = _valid(forms.branch_create_form(FormContext(channel_id="C1", organization="acme", database="shop")))
    assert "from" in _blocks(filled)
    assert forms.form_of(filled["private_metadata"]) == FormContext("C1", "acme", "shop")


@pytest.mark.parametrize(
    ("organization", "database"), [(None, None), (None, "shop"), ("acme", "d" * 64), ("acme", "x" * 100)]
)
def test_every_state_of_the_deploy_request_form_is_valid_block_kit(
    organization: str | None, database: str | None
) -> None:
    view = _valid(forms.dr_create_form(FormContext(channel_id="C1", organization=organization, database=database)))
    assert json.loads(view["private_metadata"]) == {"channel": "C1", "org": organization, "database": database}
    assert ({"branch", "into"} <= set(_blocks(view))) == (database is not None)


@pytest.mark.parametrize("callback_id", [forms.BRANCH_CREATE, forms.DR_CREATE])
def test_a_notice_replaces_a_form_under_its_own_title(callback_id: str) -> None:
    notice = _valid(forms.form_notice(callback_id, "Pick an organization first."))
    drawn = forms.FORMS[callback_id](FormContext(channel_id="C1", organization="acme", database=None))
    assert (notice["callback_id"], notice["title"]) == (callback_id, drawn["title"])


def test_a_form_from_elsewhere_reads_as_empty() -> None:
    for metadata in ("", "not json", "[1]", '{"org": 5}'):
        assert forms.form_of(metadata).organization is None


def test_picker_options_are_valid_and_at_most_a_hundred() -> None:
    options = forms.picker_options([f"db-{index}" + "y" * 80 for index in range(150)])
    assert len(options) == 100
    for option in options:
        Option(text=option["text"]["text"], value=option["value"]).validate_json()
        assert len(option["text"]["text"]) <= 75
