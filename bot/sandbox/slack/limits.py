"""Slack's limits on messages and views, checked the way Slack refuses them.

Numbers from Slack's Block Kit reference (https://docs.slack.dev/reference/block-kit/blocks,
…/block-elements, …/composition-objects, …/surfaces/modals) and the same limits as slack_sdk's models encode them
(`slack_sdk/models/blocks/*.py`, `slack_sdk/models/views/__init__.py`). Refusals carry Slack's codes:
`invalid_blocks` (with `response_metadata.messages` naming the place, as Slack does), `invalid_blocks_format`,
`msg_too_long`, `msg_blocks_too_long`; a view that breaks them is `invalid_arguments`.

`msg_blocks_too_long` is undocumented: Slack refuses a message whose blocks hold about 12,000–13,300 characters of
text in all (https://github.com/slackapi/bolt-js/issues/2509, /issues/2867). The stand-in refuses above
`MAX_BLOCKS_TEXT`, the low end of what has been seen to fail, so the bot is held to the safe side.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack.errors import SlackError

JSON = dict[str, Any]

MAX_BLOCKS_PER_MESSAGE = 50
MAX_BLOCKS_PER_VIEW = 100
MAX_MESSAGE_TEXT = 40_000  # chat.postMessage: msg_too_long (https://api.slack.com/methods/chat.postMessage)
MAX_BLOCKS_TEXT = 12_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_MARKDOWN_BLOCK_TEXT = 12_000
MAX_ID = 255  # block_id, action_id, callback_id, external_id
MAX_URL = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OVERFLOW_OPTIONS = 5
MAX_VIEW_TITLE = 24  # also the close and submit buttons' text
MAX_PRIVATE_METADATA = 3000
MAX_LABEL = 2000  # input label and hint; image alt text and title
MAX_TEXT_INPUT = 3000

BLOCK_TYPES = frozenset(
    {"section", "header", "context", "actions", "divider", "image", "input", "rich_text", "markdown", "video", "file"}
)
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


@dataclass(frozen=True)
class _Problem:
    pointer: str
    what: str

    def message(self) -> str:
        return f"[ERROR] {self.what} [json-pointer:{self.pointer}]"


class _Checker:
    """Walks blocks and collects every place that breaks a limit."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []

    def fail(self, pointer: str, what: str) -> None:
        self.problems.append(_Problem(pointer, what))

    def length(self, value: object, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(pointer, f"must be less than {limit + 1} characters")

    def text(self, value: object, pointer: str, *, limit: int, plain: bool = False) -> None:
        """A text object: right type, not empty, not too long."""
        if not isinstance(value, dict):
            self.fail(pointer, "must be a text object")
            return
        kind = value.get("type")
        if kind not in TEXT_TYPES or (plain and kind != "plain_text"):
            self.fail(f"{pointer}/type", "must be plain_text" if plain else "must be plain_text or mrkdwn")
        body = value.get("text")
        if not isinstance(body, str) or not body:
            self.fail(f"{pointer}/text", "must be more than 0 characters")
            return
        self.length(body, limit, f"{pointer}/text")

    def optional_text(self, block: JSON, key: str, pointer: str, *, limit: int, plain: bool = False) -> None:
        if key in block:
            self.text(block[key], f"{pointer}/{key}", limit=limit, plain=plain)

    def elements(self, value: object, pointer: str, *, limit: int, check: Callable[[Any, str], None]) -> None:
        if not isinstance(value, list) or not value:
            self.fail(pointer, "must provide at least one item")
            return
        if len(value) > limit:
            self.fail(pointer, f"must provide no more than {limit} items")
        for index, element in enumerate(value):
            check(element, f"{pointer}/{index}")

    # --- composition objects and elements -------------------------------------------------------------------
    def confirm(self, value: object, pointer: str) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must be a confirm object")
            return
        self.text(value.get("title"), f"{pointer}/title", limit=100, plain=True)
        self.text(value.get("text"), f"{pointer}/text", limit=300)
        self.text(value.get("confirm"), f"{pointer}/confirm", limit=30, plain=True)
        self.text(value.get("deny"), f"{pointer}/deny", limit=30, plain=True)

    def option(self, value: object, pointer: str) -> None:
        if not isinstance(value, dict):
            self.fail(pointer, "must be an option object")
            return
        self.text(value.get("text"), f"{pointer}/text", limit=MAX_OPTION_TEXT)
        self.length(value.get("value"), MAX_OPTION_VALUE, f"{pointer}/value")
        self.optional_text(value, "description", pointer, limit=MAX_OPTION_TEXT, plain=True)

    def element(self, value: object, pointer: str) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            self.fail(pointer, "must be a block element")
            return
        kind = value["type"]
        self.length(value.get("action_id"), MAX_ID, f"{pointer}/action_id")
        if "confirm" in value:
            self.confirm(value["confirm"], f"{pointer}/confirm")
        self.optional_text(value, "placeholder", pointer, limit=MAX_PLACEHOLDER, plain=True)
        if kind == "button":
            self.text(value.get("text"), f"{pointer}/text", limit=MAX_BUTTON_TEXT, plain=True)
            self.length(value.get("value"), MAX_BUTTON_VALUE, f"{pointer}/value")
            self.length(value.get("url"), MAX_URL, f"{pointer}/url")
            if value.get("style") not in (None, "primary", "danger"):
                self.fail(f"{pointer}/style", "must be primary or danger")
        elif kind == "overflow":
            self.elements(value.get("options"), f"{pointer}/options", limit=MAX_OVERFLOW_OPTIONS, check=self.option)
        elif kind in {"static_select", "multi_static_select"} and "option_groups" not in value:
            self.elements(value.get("options"), f"{pointer}/options", limit=MAX_OPTIONS, check=self.option)
        elif kind == "plain_text_input":
            self.length(value.get("initial_value"), MAX_TEXT_INPUT, f"{pointer}/initial_value")
            maximum = value.get("max_length")
            if isinstance(maximum, int) and not 1 <= maximum <= MAX_TEXT_INPUT:
                self.fail(f"{pointer}/max_length", f"must be between 1 and {MAX_TEXT_INPUT}")
        elif kind == "image":
            self.length(value.get("image_url"), MAX_URL, f"{pointer}/image_url")
            self.length(value.get("alt_text"), MAX_LABEL, f"{pointer}/alt_text")
        if "initial_option" in value:
            self.option(value["initial_option"], f"{pointer}/initial_option")

    def context_element(self, value: object, pointer: str) -> None:
        if isinstance(value, dict) and value.get("type") in TEXT_TYPES:
            self.text(value, pointer, limit=MAX_SECTION_TEXT)
        else:
            self.element(value, pointer)

    # --- blocks ----------------------------------------------------------------------------------------------
    def block(self, block: JSON, pointer: str) -> None:
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"{pointer}/type", f"unknown block type {kind!r}")
            return
        self.length(block.get("block_id"), MAX_ID, f"{pointer}/block_id")
        if kind == "section":
            self.section(block, pointer)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", limit=MAX_HEADER_TEXT, plain=True)
        elif kind == "context":
            self.elements(block.get("elements"), f"{pointer}/elements", limit=MAX_CONTEXT_ELEMENTS,
                          check=self.context_element)
        elif kind == "actions":
            self.elements(block.get("elements"), f"{pointer}/elements", limit=MAX_ACTIONS_ELEMENTS,
                          check=self.element)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", limit=MAX_LABEL, plain=True)
            self.optional_text(block, "hint", pointer, limit=MAX_LABEL, plain=True)
            self.element(block.get("element"), f"{pointer}/element")
        elif kind == "image":
            self.length(block.get("image_url"), MAX_URL, f"{pointer}/image_url")
            self.length(block.get("alt_text"), MAX_LABEL, f"{pointer}/alt_text")
            self.optional_text(block, "title", pointer, limit=MAX_LABEL, plain=True)
        elif kind == "markdown":
            self.length(block.get("text"), MAX_MARKDOWN_BLOCK_TEXT, f"{pointer}/text")

    def section(self, block: JSON, pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail(pointer, "must provide text or fields")
        self.optional_text(block, "text", pointer, limit=MAX_SECTION_TEXT)
        if "fields" in block:
            self.elements(
                block["fields"], f"{pointer}/fields", limit=MAX_SECTION_FIELDS,
                check=lambda field, at: self.text(field, at, limit=MAX_FIELD_TEXT),
            )
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")


def text_in_blocks(node: object) -> int:
    """Characters of text the blocks carry (every `text` string, at any depth): what `msg_blocks_too_long` counts."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else text_in_blocks(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(text_in_blocks(item) for item in node)
    return 0


def _checked(blocks: object, *, limit: int, pointer: str) -> tuple[list[JSON], list[_Problem]]:
    if blocks is None:
        return [], []
    if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
        raise SlackError("invalid_blocks_format")
    checker = _Checker()
    if len(blocks) > limit:
        checker.fail(pointer, f"must provide no more than {limit} items")
    for index, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{index}")
    return [copy.deepcopy(block) for block in blocks], checker.problems


def check_blocks(blocks: object, *, pointer: str = "/blocks") -> list[JSON]:
    """Blocks of a message or an unfurl, one by one."""
    checked, problems = _checked(blocks, limit=MAX_BLOCKS_PER_MESSAGE, pointer=pointer)
    if problems:
        raise SlackError("invalid_blocks", tuple(problem.message() for problem in problems))
    return checked


def check_message(text: str, blocks: object) -> list[JSON]:
    """A message's `text` and `blocks` as chat.postMessage / chat.update / response_url check them."""
    if len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    checked = check_blocks(blocks)
    if text_in_blocks(checked) > MAX_BLOCKS_TEXT:
        raise SlackError("msg_blocks_too_long")
    return checked


# Which surfaces a method takes. views.open and views.push open modals ("Open a modal with a user",
# https://docs.slack.dev/reference/methods/views.open; views.push takes the same arguments,
# https://tools.slack.dev/bolt-python/concepts/updating-pushing-views); views.publish draws the Home tab ("Home tab
# view objects are used within the views.publish Web API method", https://docs.slack.dev/reference/views/home-tab-views);
# views.update takes either, by the id of the view it replaces (https://docs.slack.dev/reference/methods/views.update).
MODAL_ONLY = frozenset({"modal"})
HOME_ONLY = frozenset({"home"})
MODAL_OR_HOME = MODAL_ONLY | HOME_ONLY
# Slack's answer to a view of a type the method does not take: its JSON-schema enum check on /view/type, as Slack
# answered views.open given a `home` view (https://github.com/slackapi/node-slack-sdk/issues/925). The same answer to
# views.publish given a modal, and to views.update changing a view's type, is inferred from that check, not seen
# (docs/reference/slack.md §8).
WRONG_VIEW_TYPE = "[ERROR] must be a valid enum value [json-pointer:/view/type]"


def check_view(view: object, *, view_types: frozenset[str]) -> JSON:
    """A view as a method that takes `view_types` (MODAL_ONLY, HOME_ONLY, MODAL_OR_HOME) checks it."""
    if not isinstance(view, dict) or view.get("type") not in view_types:
        raise SlackError("invalid_arguments", (WRONG_VIEW_TYPE,))
    checker = _Checker()
    if view["type"] == "modal":
        checker.text(view.get("title"), "/view/title", limit=MAX_VIEW_TITLE, plain=True)
        checker.optional_text(view, "close", "/view", limit=MAX_VIEW_TITLE, plain=True)
        checker.optional_text(view, "submit", "/view", limit=MAX_VIEW_TITLE, plain=True)
        if "submit" not in view and any(
            isinstance(block, dict) and block.get("type") == "input" for block in view.get("blocks") or []
        ):
            checker.fail("/view/submit", "is required when the view has input blocks")
    checker.length(view.get("private_metadata"), MAX_PRIVATE_METADATA, "/view/private_metadata")
    checker.length(view.get("callback_id"), MAX_ID, "/view/callback_id")
    checker.length(view.get("external_id"), MAX_ID, "/view/external_id")
    try:
        _, problems = _checked(view.get("blocks", []), limit=MAX_BLOCKS_PER_VIEW, pointer="/view/blocks")
    except SlackError:
        raise SlackError(
            "invalid_arguments", ("[ERROR] must be a list of blocks [json-pointer:/view/blocks]",)
        ) from None
    problems = checker.problems + problems
    if problems:
        raise SlackError("invalid_arguments", tuple(problem.message() for problem in problems))
    return copy.deepcopy(view)
