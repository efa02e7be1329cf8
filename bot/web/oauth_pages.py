"""The browser side of `/pscale login` (docs/interface.md §3): the start page, the redirect to PlanetScale, the
callback.

`GET /oauth/planetscale/start?t=…` only shows a button: link scanners (Slack's unfurler, mail filters) follow GETs,
and must not use the one-time ticket up. The button POSTs, which uses the ticket, binds this browser with an
HttpOnly cookie and redirects (303) to PlanetScale's authorize URL — the configured one, never one taken from the
request, so there is no open redirect. The callback answers 200 when linked, else 400 with one reason token.
Pages are plain HTML with no external assets and no script; every value shown is escaped.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.linking import CALLBACK_PATH, START_PATH, LinkFailed, LinkFlow
from bot.linking.tickets import LINK_TTL_SECONDS, looks_like_secret, new_secret

BROWSER_COOKIE = "pscale_link_browser"
COOKIE_PATH = "/oauth/planetscale"

_AGAIN = "Run <code>/pscale login</code> in Slack again to get a new link."
_FAILURES: dict[str, tuple[str, str]] = {
    "access_denied": (
        "PlanetScale did not grant access",
        f"Access was not granted on PlanetScale, so nothing was linked. {_AGAIN}",
    ),
    "invalid_browser": (
        "Finish in the browser you started in",
        "This sign-in was started in another browser, or this browser's cookie for it is gone. "
        f"{_AGAIN} Then open the link and finish in the same browser.",
    ),
    "invalid_state": (
        "This sign-in link is not valid",
        f"This sign-in attempt is unknown or was already used, so nothing was linked. {_AGAIN}",
    ),
    "expired_state": (
        "This sign-in took too long",
        f"A sign-in must be finished within {LINK_TTL_SECONDS // 60} minutes. {_AGAIN}",
    ),
    "missing_code": (
        "PlanetScale sent no authorization",
        f"PlanetScale came back without an authorization code, so nothing was linked. {_AGAIN}",
    ),
    "identity_mismatch": (
        "This PlanetScale account is not yours in Slack",
        "The PlanetScale account you signed in with has a different email address than the Slack account this link "
        "was made for, so nothing was linked. A link works only for the person who ran <code>/pscale login</code>, "
        f"signed in to PlanetScale with the same email as in Slack. {_AGAIN}",
    ),
    "exchange_failed": (
        "PlanetScale did not confirm the link",
        "PlanetScale did not accept the authorization, or could not be reached. Nothing was linked. "
        f"Wait a moment, then {_AGAIN[0].lower()}{_AGAIN[1:]}",
    ),
}


def create_oauth_routes(flow: LinkFlow, *, public_url: str) -> list[BaseRoute]:
    secure_cookie = urlsplit(public_url).scheme == "https"
    authorize = urlsplit(flow.authorize_url)
    # The form posts here, then the browser is redirected to PlanetScale: Chrome applies form-action to that hop.
    form_targets = f"'self' {authorize.scheme}://{authorize.netloc}"

    async def start_page(request: Request) -> Response:
        ticket = request.query_params.get("t", "")
        holder = await flow.ticket_holder(ticket)
        if holder is None:
            return _expired_ticket(form_targets)
        slack_user, person = holder
        name = person.name if person is not None else slack_user.user_id
        workspace = person.workspace if person is not None else slack_user.team_id
        body = f"""<p>This link is for the Slack user <strong>{html.escape(name)}</strong> in the workspace
<strong>{html.escape(workspace)}</strong>.</p>
<p>This links your PlanetScale account to your Slack account, so the bot can act as you.
On the next page PlanetScale shows what access the bot asks for, and you approve it there.</p>
<p><strong>Only continue if you ran <code>/pscale login</code> in Slack yourself just now.</strong>
Otherwise close this page: someone may be trying to get access to your PlanetScale account.</p>
<form method="post" action="{START_PATH}">
<input type="hidden" name="t" value="{html.escape(ticket)}">
<button type="submit">Continue to PlanetScale</button>
</form>"""
        return _page("Link your PlanetScale account", body, status=200, form_targets=form_targets)

    async def start(request: Request) -> Response:
        # At most 1 MB, read within its deadline (bot/web/body.py); the form has one field.
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
        ticket = form.get("t")
        existing = request.cookies.get(BROWSER_COOKIE, "")
        # One value per browser, reused across attempts, so a second tab does not spoil the first one's callback.
        browser_secret = existing if looks_like_secret(existing) else new_secret()
        target = await flow.begin(ticket, browser_secret=browser_secret) if ticket is not None else None
        if target is None:
            return _expired_ticket(form_targets)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            BROWSER_COOKIE,
            browser_secret,
            max_age=LINK_TTL_SECONDS,
            path=COOKIE_PATH,
            secure=secure_cookie,
            httponly=True,
            samesite="lax",  # sent on PlanetScale's top-level redirect back to the callback, not on cross-site POSTs
        )
        _harden(response, form_targets)
        return response

    async def callback(request: Request) -> Response:
        outcome = await flow.complete(dict(request.query_params), browser_secret=request.cookies.get(BROWSER_COOKIE))
        if isinstance(outcome, LinkFailed):
            return _failure(outcome, form_targets)
        body = f"""<p>Your Slack account is now linked to the PlanetScale user
<strong>{html.escape(outcome.planetscale_name)}</strong>.</p>
<p>You can close this tab and go back to Slack. Try <code>/pscale whoami</code>.</p>"""
        return _page("Linked", body, status=200, form_targets=form_targets)

    return [
        Route(START_PATH, start_page, methods=["GET"]),
        Route(START_PATH, start, methods=["POST"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
    ]


def _expired_ticket(form_targets: str) -> Response:
    body = (
        "<p>This link has expired or was already used (each link works once, within "
        f"{LINK_TTL_SECONDS // 60} minutes).</p><p>{_AGAIN}</p>"
    )
    return _page("This link no longer works", body, status=400, form_targets=form_targets)


def _failure(failure: LinkFailed, form_targets: str) -> Response:
    title, explanation = _FAILURES[failure.reason]
    said = ""
    if failure.provider_error and failure.provider_error not in _FAILURES:
        said = f" PlanetScale said: <code>{html.escape(failure.provider_error)}</code>."
    body = f"<p>{explanation}{said}</p>\n<p>Reason: <code>{failure.reason}</code></p>"
    return _page(title, body, status=400, form_targets=form_targets)


def _page(title: str, body: str, *, status: int, form_targets: str) -> HTMLResponse:
    """`body` is trusted markup built above, with every outside value already escaped."""
    response = HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · pscale-bot</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1d1c1d; }}
button {{ font: inherit; padding: .6rem 1.2rem; border-radius: .4rem; border: 1px solid #1d1c1d; background: #000;
  color: #fff; cursor: pointer; }}
button:focus-visible {{ outline: 3px solid #1264a3; outline-offset: 2px; }}
code {{ background: #f4f4f4; padding: 0 .2rem; }}
</style>
</head>
<body><main>
<h1>{html.escape(title)}</h1>
{body}
</main></body>
</html>
""",
        status_code=status,
    )
    _harden(response, form_targets)
    return response


def _harden(response: Response, form_targets: str) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the URLs carry a ticket or an authorization code
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; form-action {form_targets}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
