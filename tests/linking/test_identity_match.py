"""A forwarded link cannot attach someone else's PlanetScale rights (BOT_LINK_MATCH_EMAIL, docs/interface.md §2):
Bob runs `/pscale login` and gets Alice to open his link and consent. Over real HTTP: the bot, the Slack stand-in
(`users.info`, whose profile email needs `users:read.email`), PlanetScale's API and OAuth stand-ins, a browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot, run_bot
from tests.support.oauth_browser import Browser, query_of, reason_tokens
from tests.support.slack import BOB, BOB_ACTOR, MANIFEST_SCOPES, populated_standin, serve_slack_standin


@contextmanager
def _bot(slack: SlackStandIn, data_dir: Path, **settings: object) -> Iterator[tuple[RunningBot, DemoWorld]]:
    world = World()
    demo = seed_demo(world)
    with run_bot(slack=slack, data_dir=data_dir, planetscale=world, **settings) as running:
        yield running, demo


@pytest.fixture
def linking_bot(slack_standin: SlackStandIn, tmp_path: Path) -> Iterator[tuple[RunningBot, DemoWorld]]:
    with _bot(slack_standin, tmp_path) as running:
        yield running


def _open(start_url: str) -> httpx.Response:
    with httpx.Client(timeout=10) as http:
        return Browser(http).link(start_url)


def _linked(bot: RunningBot, user_id: str) -> bool:
    return bot.run(bot.runtime.linking.has_active_grant(BOB_ACTOR.team_id, user_id))


def test_someone_else_consenting_to_a_forwarded_link_links_nothing(linking_bot: tuple[RunningBot, DemoWorld]) -> None:
    bot, demo = linking_bot
    page = _open(bot.start_link(BOB_ACTOR, planetscale_user_id=demo.admin.id))  # Alice consents on Bob's link
    assert page.status_code == 400
    assert reason_tokens(page.text) == ["identity_mismatch"]
    assert not _linked(bot, BOB.id)
    assert bot.run(bot.runtime.database.fetchall("SELECT * FROM planetscale_grants")) == []
    # The access and refresh tokens PlanetScale issued for Alice are given back, not left usable.
    assert bot.oauth is not None
    assert bot.oauth.counters.revocations == 2


def test_a_link_opened_by_its_own_person_completes(linking_bot: tuple[RunningBot, DemoWorld]) -> None:
    bot, demo = linking_bot
    page = _open(bot.start_link(BOB_ACTOR, planetscale_user_id=demo.second_admin.id))
    assert page.status_code == 200, page.text
    assert _linked(bot, BOB.id)


def test_the_start_page_names_the_slack_user_and_workspace_the_link_is_for(
    linking_bot: tuple[RunningBot, DemoWorld],
) -> None:
    bot, demo = linking_bot
    start_url = bot.start_link(BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
    page = httpx.get(start_url)
    assert page.status_code == 200
    assert "<strong>Bob Builder</strong>" in page.text
    assert f"<strong>{bot.slack.workspace.team_name}</strong>" in page.text
    assert query_of(start_url)["t"] in page.text  # still usable: reading the page did not use the ticket up


def test_without_the_email_scope_no_link_can_be_shown_to_be_the_askers_own(tmp_path: Path) -> None:
    without_email = populated_standin(scopes=MANIFEST_SCOPES - {"users:read.email"})
    with serve_slack_standin(without_email, audited=False) as slack, _bot(slack, tmp_path) as (bot, demo):
        page = _open(bot.start_link(BOB_ACTOR, planetscale_user_id=demo.second_admin.id))
        assert reason_tokens(page.text) == ["identity_mismatch"]
        assert not _linked(bot, BOB.id)


def test_turned_off_any_account_may_be_linked(slack_standin: SlackStandIn, tmp_path: Path) -> None:
    with _bot(slack_standin, tmp_path, bot_link_match_email=False) as (bot, demo):
        page = _open(bot.start_link(BOB_ACTOR, planetscale_user_id=demo.admin.id))
        assert page.status_code == 200, page.text
        assert _linked(bot, BOB.id)
