"""The client builds each request's URL once per (URL, parameters) and reuses it (`request_url`); what it sends must
be what httpx would have built from the same URL and parameters, whatever they hold."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from bot.planetscale.client import DEFAULT_BASE_URL, fill_path, request_url

_NAMES = st.text(min_size=1, max_size=20).filter(lambda name: name not in {".", ".."})
_PARAMETERS = st.dictionaries(
    st.text(min_size=1, max_size=12), st.one_of(st.text(max_size=20), st.integers(-(10**6), 10**6)), max_size=4
)


@given(organization=_NAMES, database=_NAMES, parameters=_PARAMETERS)
def test_the_remembered_url_is_the_one_httpx_builds(
    organization: str, database: str, parameters: dict[str, str | int]
) -> None:
    url = DEFAULT_BASE_URL + fill_path(
        "/organizations/{organization}/databases/{database}/branches",
        {"organization": organization, "database": database},
    )
    # What `build_request` makes for a client with no parameters of its own, as the client's is.
    built = httpx.Request("GET", url, params=parameters).url
    remembered = request_url(url, tuple(parameters.items()))
    assert remembered == built
    assert str(remembered) == str(built)
    assert request_url(url, tuple(parameters.items())) is remembered  # built once, then reused
