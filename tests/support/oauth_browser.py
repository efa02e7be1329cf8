"""A person's browser going through the link flow, as an httpx client with its own cookie jar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.render.message import Message


def link_button_url(message: Message) -> str:
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "link_account":
                return str(element["url"])
    raise AssertionError(f"no link_account button in {message.blocks}")


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def reason_tokens(page: str) -> list[str]:
    tokens = ("access_denied", "invalid_browser", "invalid_state", "expired_state", "missing_code", "exchange_failed",
              "identity_mismatch")
    return [token for token in tokens if re.search(rf"\b{token}\b", page)]


@dataclass
class Browser:
    """An httpx client with its own cookie jar, stepping through redirects by hand so each hop can be checked."""

    http: httpx.Client

    def start(self, start_url: str) -> httpx.Response:
        """GET the start page, then POST its form; returns the 303 to PlanetScale."""
        page = self.http.get(start_url)
        assert page.status_code == 200, page.text
        ticket = query_of(start_url)["t"]
        return self.http.post(start_url.partition("?")[0], data={"t": ticket})

    def authorize(self, authorize_url: str) -> str:
        """Visit PlanetScale's authorize URL (the stand-in decides at once); returns the callback URL."""
        answer = self.http.get(authorize_url)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def link(self, start_url: str) -> httpx.Response:
        redirect = self.start(start_url)
        assert redirect.status_code == 303, redirect.text
        return self.http.get(self.authorize(redirect.headers["location"]))
