"""The PlanetScale stand-in's HTTP API: the spec's paths under `/v1`, PlanetScale's bodies, statuses and errors.

Base URL `http://host:port/v1` mirrors `https://api.planetscale.com/v1`. Requests authenticate with
`Authorization: Bearer <token>` from `World.issue_access_token`. Lists use PlanetScale's page envelope; `per_page`
defaults to 25 and values above 100 are clamped to 100 (as Rails pagination does), while a `page` or `per_page` that is
not a positive integer gets 400 `bad_request`. Every exchange is appended to `world.requests`, and `world.faults`
can delay, fail, reset or hang any route.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from bot.sandbox.connection import drop_connection
from bot.sandbox.planetscale import paths, views
from bot.sandbox.planetscale.faults import FaultRule, RequestRecord
from bot.sandbox.planetscale.scopes import OPERATION_ACCESS
from bot.sandbox.planetscale.world import AccessToken, Database, DeployRequest, PlanetScaleError, World, not_found

PREFIX = "/v1"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
Json = dict[str, Any]
ItemT = TypeVar("ItemT")


@dataclass
class Call:
    """One authenticated request, as the operation handlers see it."""

    world: World
    grant: AccessToken
    params: dict[str, str]
    query: QueryParams
    body: Json
    url: str  # the request URL without its query, for next_page_url / prev_page_url

    @property
    def user_id(self) -> str:
        return self.grant.user_id

    def database(self) -> Database:
        return self.world.database_for(self.user_id, self.params["organization"], self.params["database"])

    @property
    def where(self) -> tuple[str, str]:
        return self.params["organization"], self.params["database"]

    def number(self) -> int:
        raw = self.params["number"]
        if not raw.isdigit():
            raise not_found()
        return int(raw)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Json | None


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    handler: Handler


# ----- helpers ------------------------------------------------------------------------------------------------------


def _positive_int(query: QueryParams, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise PlanetScaleError(400, "bad_request", f"{name} must be a positive integer.")
    return int(raw)


def _bool(query: QueryParams, name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"true", "1"}:
        return True
    if raw.lower() in {"false", "0"}:
        return False
    raise PlanetScaleError(400, "bad_request", f"{name} must be true or false.")


def _page(call: Call, items: Sequence[ItemT], body_of: Callable[[ItemT], Json], *, totals: bool) -> Reply:
    """The page the query asks for, as PlanetScale's list envelope. Only that page's items are drawn as bodies
    (`body_of`), as a database would read one page: a list of 1,000 branches costs what 25 cost."""
    page = _positive_int(call.query, "page", 1)
    per_page = min(_positive_int(call.query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    start = (page - 1) * per_page
    total_pages = max(1, -(-len(items) // per_page))
    next_page = page + 1 if start + per_page < len(items) else None
    prev_page = page - 1 if page > 1 else None

    def url_for(number: int | None) -> str | None:
        if number is None:
            return None
        query = call.query.items()
        kept = [(key, value) for key, value in query if key not in {"page", "per_page"}]
        encoded = str(QueryParams([*kept, ("page", str(number)), ("per_page", str(per_page))]))
        return f"{call.url}?{encoded}"

    envelope: Json = {
        "type": "list",
        "current_page": page,
        "per_page": per_page,
        "next_page": next_page,
        "next_page_url": url_for(next_page),
        "prev_page": prev_page,
        "prev_page_url": url_for(prev_page),
        "data": [body_of(item) for item in items[start : start + per_page]],
    }
    if totals:
        envelope["total_count"] = len(items)
        envelope["total_pages"] = total_pages
    return Reply(200, envelope)


def _text(body: Json, name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise unprocessable_field(name, "is required")
        return None
    if not isinstance(value, str):
        raise unprocessable_field(name, "must be a string")
    return value


def _flag(body: Json, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise unprocessable_field(name, "must be true or false")
    return value


def unprocessable_field(name: str, problem: str) -> PlanetScaleError:
    return PlanetScaleError(422, "unprocessable", f"{name} {problem}.")


# ----- handlers -----------------------------------------------------------------------------------------------------


def get_current_user(call: Call) -> Reply:
    return Reply(200, views.user_body(call.world, call.world.users[call.user_id]))


def list_organizations(call: Call) -> Reply:
    organizations = call.world.visible_organizations(call.user_id)
    return _page(call, organizations, views.organization_body, totals=False)


def get_organization(call: Call) -> Reply:
    return Reply(200, views.organization_body(call.world.organization_for(call.user_id, call.params["organization"])))


def list_organization_members(call: Call) -> Reply:
    organization = call.world.organization_for(call.user_id, call.params["organization"])
    needle = call.query.get("q", "").lower()
    people = [call.world.users[user_id] for user_id in organization.members]
    found = [
        user for user in sorted(people, key=lambda user: user.name)
        if needle in user.name.lower() or needle in user.display_name.lower() or needle in user.email.lower()
    ]
    return _page(call, found, functools.partial(views.member_body, call.world, organization), totals=True)


def list_databases(call: Call) -> Reply:
    organization = call.world.organization_for(call.user_id, call.params["organization"])
    needle = call.query.get("q", "")
    databases = sorted(organization.databases.values(), key=lambda database: database.name)
    return _page(call, [db for db in databases if needle in db.name], views.database_body, totals=True)


def get_database(call: Call) -> Reply:
    return Reply(200, views.database_body(call.database()))


def list_branches(call: Call) -> Reply:
    database = call.database()
    needle = call.query.get("q", "")
    production = _bool(call.query, "production")
    safe_migrations = _bool(call.query, "safe_migrations")
    order = call.query.get("order", "asc")
    if order not in {"asc", "desc"}:
        raise PlanetScaleError(400, "bad_request", "order must be asc or desc.")
    branches = [
        branch
        for branch in database.branches.values()
        if needle in branch.name
        and (production is None or branch.production == production)
        and (safe_migrations is None or branch.safe_migrations == safe_migrations)
    ]
    # Oldest first; ties keep creation order (the world's dicts are insertion-ordered).
    branches.sort(key=lambda branch: branch.created_at)
    if order == "desc":
        branches.reverse()
    return _page(call, branches, functools.partial(views.branch_body, call.world, database), totals=True)


def get_branch(call: Call) -> Reply:
    database = call.database()
    branch = call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    return Reply(200, views.branch_body(call.world, database, branch))


def create_branch(call: Call) -> Reply:
    database = call.database()
    branch = call.world.create_branch(
        *call.where,
        name=_text(call.body, "name", required=True) or "",
        parent_branch=_text(call.body, "parent_branch"),
        actor_id=call.user_id,
    )
    return Reply(201, views.branch_body(call.world, database, branch))


def delete_branch(call: Call) -> Reply:
    call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    call.world.delete_branch(
        *call.where,
        call.params["branch"],
        actor_id=call.user_id,
        delete_descendants=bool(_bool(call.query, "delete_descendants")),
    )
    return Reply(204, None)


def get_branch_schema(call: Call) -> Reply:
    return Reply(200, views.schema_body(call.world.branch_for(call.user_id, *call.where, call.params["branch"])))


def lint_branch_schema(call: Call) -> Reply:
    branch = call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    return _page(call, branch.lint_errors, views.lint_error_body, totals=False)


def list_passwords(call: Call) -> Reply:
    database = call.database()
    branch = call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    passwords = sorted(branch.passwords.values(), key=lambda password: password.created_at)
    return _page(
        call, passwords, lambda pw: views.password_body(call.world, database, branch, pw, reveal=False), totals=True
    )


def create_password(call: Call) -> Reply:
    database = call.database()
    branch = call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    ttl = call.body.get("ttl")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool)):
        raise unprocessable_field("ttl", "must be a whole number of seconds")
    cidrs = call.body.get("cidrs")
    if cidrs is not None and not (isinstance(cidrs, list) and all(isinstance(cidr, str) for cidr in cidrs)):
        raise unprocessable_field("cidrs", "must be a list of strings")
    password = call.world.create_password(
        *call.where,
        branch.name,
        actor_id=call.user_id,
        name=_text(call.body, "name"),
        role=_text(call.body, "role"),
        ttl=ttl,
        replica=_flag(call.body, "replica", False),
        cidrs=cidrs,
    )
    return Reply(201, views.password_body(call.world, database, branch, password, reveal=True))


def delete_password(call: Call) -> Reply:
    call.world.branch_for(call.user_id, *call.where, call.params["branch"])
    call.world.delete_password(*call.where, call.params["branch"], call.params["id"])
    return Reply(204, None)


_DEPLOYED_STATES = frozenset({"complete", "complete_pending_revert"})


def _state_matches(request: DeployRequest, state: str | None) -> bool:
    if not state:
        return True
    if state == "deployed":
        return request.deployment.state in _DEPLOYED_STATES
    return request.state == state


def list_deploy_requests(call: Call) -> Reply:
    database = call.database()
    state = call.query.get("state")
    if state not in {None, "", "open", "closed", "deployed"}:
        raise PlanetScaleError(400, "bad_request", "state must be open, closed or deployed.")
    branch = call.query.get("branch")
    into_branch = call.query.get("into_branch")
    requests = [
        request
        for request in sorted(database.deploy_requests.values(), key=lambda request: -request.number)
        if _state_matches(request, state)
        and (not branch or request.branch == branch)
        and (not into_branch or request.into_branch == into_branch)
    ]
    return _page(call, requests, functools.partial(views.deploy_request_body, call.world, database), totals=True)


def _deploy_request_reply(call: Call, action: Callable[..., Any] | None = None, status: int = 200) -> Reply:
    database = call.database()
    number = call.number()
    request = call.world.deploy_request_for(call.user_id, *call.where, number)
    if action is not None:
        request = action(*call.where, number, actor_id=call.user_id)
    return Reply(status, views.deploy_request_body(call.world, database, request))


def get_deploy_request(call: Call) -> Reply:
    return _deploy_request_reply(call)


def create_deploy_request(call: Call) -> Reply:
    database = call.database()
    request = call.world.create_deploy_request(
        *call.where,
        actor_id=call.user_id,
        branch=_text(call.body, "branch", required=True) or "",
        into_branch=_text(call.body, "into_branch"),
        notes=_text(call.body, "notes") or "",
        # Absent: inherited from the previous deploy request (World.create_deploy_request).
        auto_cutover=None if call.body.get("auto_cutover") is None else _flag(call.body, "auto_cutover", True),
        auto_delete_branch=_flag(call.body, "auto_delete_branch", False),
    )
    return Reply(201, views.deploy_request_body(call.world, database, request))


def close_deploy_request(call: Call) -> Reply:
    if call.body.get("state") != "closed":
        raise unprocessable_field("state", "must be closed")
    return _deploy_request_reply(call, call.world.close)


def queue_deploy_request(call: Call) -> Reply:
    instant_ddl = _flag(call.body, "instant_ddl", False)
    return _deploy_request_reply(call, functools.partial(call.world.deploy, instant_ddl=instant_ddl))


def cancel_deploy_request(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.cancel)


def update_auto_apply(call: Call) -> Reply:
    if "enable" not in call.body:
        raise unprocessable_field("enable", "is required")
    enable = _flag(call.body, "enable", True)
    return _deploy_request_reply(call, functools.partial(call.world.set_auto_apply, enable=enable))


def force_cutover_deploy_request(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.force_cutover)


def complete_gated_deploy_request(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.apply_deploy)


def complete_revert(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.revert)


def skip_revert_period(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.skip_revert)


def complete_errored_deploy(call: Call) -> Reply:
    return _deploy_request_reply(call, call.world.complete_deploy)


def get_deployment(call: Call) -> Reply:
    database = call.database()
    request = call.world.deploy_request_for(call.user_id, *call.where, call.number())
    return Reply(200, views.deployment_body(call.world, database, request))


def list_deploy_operations(call: Call) -> Reply:
    request = call.world.deploy_request_for(call.user_id, *call.where, call.number())
    return _page(call, request.operations, functools.partial(views.operation_body, call.world, request), totals=False)


def list_deploy_request_reviews(call: Call) -> Reply:
    request = call.world.deploy_request_for(call.user_id, *call.where, call.number())
    return _page(call, request.reviews, functools.partial(views.review_body, call.world), totals=False)


def review_deploy_request(call: Call) -> Reply:
    number = call.number()
    call.world.deploy_request_for(call.user_id, *call.where, number)
    state = call.body.get("state", "commented")
    if state not in {"commented", "approved"}:
        raise unprocessable_field("state", "must be commented or approved")
    review = call.world.review_deploy_request(
        *call.where, number, actor_id=call.user_id, state=state, body=_text(call.body, "body") or ""
    )
    return Reply(201, views.review_body(call.world, review))


def get_deploy_queue(call: Call) -> Reply:
    database = call.database()
    queue = call.world.deploy_queue(*call.where)
    return _page(call, queue, functools.partial(views.deployment_body, call.world, database), totals=False)


def list_webhooks(call: Call) -> Reply:
    database = call.database()
    webhooks = sorted(database.webhooks.values(), key=lambda webhook: webhook.created_at)
    return _page(call, webhooks, views.webhook_body, totals=False)


def create_webhook(call: Call) -> Reply:
    call.database()
    events = call.body.get("events")
    if events is not None and not (isinstance(events, list) and all(isinstance(event, str) for event in events)):
        raise unprocessable_field("events", "must be a list of event names")
    webhook = call.world.create_webhook(
        *call.where,
        url=_text(call.body, "url", required=True) or "",
        events=events,
        enabled=_flag(call.body, "enabled", True),
    )
    return Reply(201, views.webhook_body(webhook))


def delete_webhook(call: Call) -> Reply:
    call.database()
    call.world.delete_webhook(*call.where, call.params["id"])
    return Reply(204, None)


def test_webhook(call: Call) -> Reply:
    call.database()
    call.world.test_webhook(*call.where, call.params["id"])
    return Reply(204, None)


OPERATIONS: tuple[Operation, ...] = (
    Operation("get_current_user", "GET", paths.USER, get_current_user),
    Operation("list_organizations", "GET", paths.ORGANIZATIONS, list_organizations),
    Operation("get_organization", "GET", paths.ORGANIZATION, get_organization),
    Operation("list_organization_members", "GET", paths.MEMBERS, list_organization_members),
    Operation("list_databases", "GET", paths.DATABASES, list_databases),
    Operation("get_database", "GET", paths.DATABASE, get_database),
    Operation("list_branches", "GET", paths.BRANCHES, list_branches),
    Operation("create_branch", "POST", paths.BRANCHES, create_branch),
    Operation("get_branch", "GET", paths.BRANCH, get_branch),
    Operation("delete_branch", "DELETE", paths.BRANCH, delete_branch),
    Operation("get_branch_schema", "GET", paths.BRANCH_SCHEMA, get_branch_schema),
    Operation("lint_branch_schema", "GET", paths.BRANCH_LINT, lint_branch_schema),
    Operation("list_passwords", "GET", paths.PASSWORDS, list_passwords),
    Operation("create_password", "POST", paths.PASSWORDS, create_password),
    Operation("delete_password", "DELETE", paths.PASSWORD, delete_password),
    Operation("get_deploy_queue", "GET", paths.DEPLOY_QUEUE, get_deploy_queue),
    Operation("list_deploy_requests", "GET", paths.DEPLOY_REQUESTS, list_deploy_requests),
    Operation("create_deploy_request", "POST", paths.DEPLOY_REQUESTS, create_deploy_request),
    Operation("get_deploy_request", "GET", paths.DEPLOY_REQUEST, get_deploy_request),
    Operation("close_deploy_request", "PATCH", paths.DEPLOY_REQUEST, close_deploy_request),
    Operation("list_deploy_request_reviews", "GET", paths.REVIEWS, list_deploy_request_reviews),
    Operation("review_deploy_request", "POST", paths.REVIEWS, review_deploy_request),
    Operation("queue_deploy_request", "POST", paths.DEPLOY, queue_deploy_request),
    Operation("update_auto_apply", "PUT", paths.AUTO_APPLY, update_auto_apply),
    Operation("force_cutover_deploy_request", "POST", paths.FORCE_CUTOVER, force_cutover_deploy_request),
    Operation("complete_gated_deploy_request", "POST", paths.APPLY_DEPLOY, complete_gated_deploy_request),
    Operation("cancel_deploy_request", "POST", paths.CANCEL, cancel_deploy_request),
    Operation("complete_revert", "POST", paths.REVERT, complete_revert),
    Operation("skip_revert_period", "POST", paths.SKIP_REVERT, skip_revert_period),
    Operation("complete_errored_deploy", "POST", paths.COMPLETE_DEPLOY, complete_errored_deploy),
    Operation("list_deploy_operations", "GET", paths.OPERATIONS, list_deploy_operations),
    Operation("get_deployment", "GET", paths.DEPLOYMENT, get_deployment),
    Operation("list_webhooks", "GET", paths.WEBHOOKS, list_webhooks),
    Operation("create_webhook", "POST", paths.WEBHOOKS, create_webhook),
    Operation("delete_webhook", "DELETE", paths.WEBHOOK, delete_webhook),
    Operation("test_webhook", "POST", paths.WEBHOOK_TEST, test_webhook),
)

# ----- HTTP plumbing ------------------------------------------------------------------------------------------------


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in PlanetScale's error shape, not Starlette's plain text."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return error_response(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}.")
    return error_response(404, "not_found", "Not Found")


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_server_error", "Internal Server Error")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _json_body(request: Request) -> Json:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanetScaleError(400, "bad_request", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise PlanetScaleError(400, "bad_request", "The request body must be a JSON object.")
    return body


def _endpoint(world: World, operation: Operation) -> Callable[[Request], Any]:
    access = OPERATION_ACCESS[operation.operation_id]

    async def endpoint(request: Request) -> Response:
        try:
            token = _bearer(request)
            if token is None:
                raise PlanetScaleError(401, "unauthorized", "Authentication is required: send a Bearer token.")
            grant = world.authenticate(token)
            record = getattr(request.state, "record", None)
            if record is not None:
                record.user_id = grant.user_id
            access.check(grant.scopes)
            body = await _json_body(request) if operation.method in {"POST", "PATCH", "PUT"} else {}
            call = Call(
                world=world,
                grant=grant,
                params={key: str(value) for key, value in request.path_params.items()},
                query=request.query_params,
                body=body,
                url=str(request.url.replace(query="")),
            )
            with world.lock:
                world.settle()
                reply = operation.handler(call)
        except PlanetScaleError as error:
            return error_response(error.status, error.code, error.message)
        if reply.body is None:
            return Response(status_code=reply.status)
        payload: Any = reply.body
        mutator = world.response_mutator
        if mutator is not None:
            payload = mutator(operation.method, operation.template, payload)
        return JSONResponse(payload, status_code=reply.status)

    return endpoint


_MATCHERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
    for template in sorted(paths.ALL)
)


def match_template(path: str) -> str | None:
    """The spec template a request path belongs to (`/v1/user` → `/user`), or None."""
    if not path.startswith(PREFIX + "/"):
        return None
    relative = path[len(PREFIX) :]
    for pattern, template in _MATCHERS:
        if pattern.match(relative):
            return template
    return None


class PlanetScaleStandIn(Starlette):
    """Starlette app with an outer layer that logs every exchange and applies `world.faults` before routing."""

    def __init__(self, world: World) -> None:
        routes = [
            Route(PREFIX + template, _methods_endpoint(world, template), methods=_methods(template))
            for template in sorted(paths.ALL)
        ]
        super().__init__(
            routes=routes,
            exception_handlers={404: _http_error, 405: _http_error, 500: _server_error},
        )
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            template=match_template(scope["path"]),
            query=scope["query_string"].decode("latin-1"),
            request_content_type=headers.get("content-type"),
            request_body=b"",
        )
        with self.world.lock:
            self.world.requests.append(record)
        scope.setdefault("state", {})["record"] = record  # the endpoint notes whose token it was
        client_gone = False

        async def logged_receive() -> Message:
            nonlocal client_gone
            message = await receive()
            if message["type"] == "http.request":
                record.request_body += message.get("body", b"")
            elif message["type"] == "http.disconnect":
                client_gone = True
            return message

        async def logged_send(message: Message) -> None:
            if client_gone:
                # Nobody will read it (uvicorn drops it), so it is not logged as an answer either.
                record.abandoned = True
                return
            if message["type"] == "http.response.start":
                record.status = message["status"]
                record.response_headers = {
                    key.decode("latin-1").lower(): value.decode("latin-1") for key, value in message["headers"]
                }
                record.response_content_type = record.response_headers.get("content-type")
            elif message["type"] == "http.response.body":
                record.response_body += message.get("body", b"")
                record.answered = not message.get("more_body", False)
            await send(message)

        app_receive: Receive = logged_receive
        rule = self.world.faults.take(scope["method"], record.template)
        if rule is not None:
            record.injected = rule.kind
            if rule.kind in {"latency", "hang"}:
                received = await _hold(rule, logged_receive, self.world)
                if received is None:
                    record.abandoned = True  # the client left while the fault held its request: it never ran
                    return
                app_receive = _replaying(received, logged_receive)
            elif await _apply_fault(rule, scope=scope, receive=logged_receive, send=logged_send, raw_send=send):
                return
        try:
            await super().__call__(scope, app_receive, logged_send)
        except ClientDisconnect:
            # The client left while its body was being read; Starlette's 500 for it went nowhere (logged_send).
            record.abandoned = True


async def _hold(rule: FaultRule, receive: Receive, world: World) -> list[Message] | None:
    """Hold a request for a latency or hang fault, reading its body meanwhile so that a client which gives up is
    noticed: the messages received (for the app to read again), or None when the client disconnected first."""
    received: list[Message] = []
    disconnected = False

    async def watch_client(scope: anyio.CancelScope) -> None:
        nonlocal disconnected
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                scope.cancel()
                return
            received.append(message)

    async with anyio.create_task_group() as group:
        group.start_soon(watch_client, group.cancel_scope)
        if rule.kind == "latency":
            await anyio.sleep(rule.seconds)  # the delay is the fault being simulated, not a synchronisation
        else:
            # Wait in a worker thread on the world's release event, so a test thread can let it go.
            await anyio.to_thread.run_sync(world.faults.wait_released, rule.seconds, abandon_on_cancel=True)
        group.cancel_scope.cancel()
    return None if disconnected else received


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """`receive` that first hands back the messages `_hold` already read."""
    pending = list(received)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _apply_fault(rule: FaultRule, *, scope: Scope, receive: Receive, send: Send, raw_send: Send) -> bool:
    """Carry out a status or reset `rule`; True when it answered (or dropped) the request itself."""
    if rule.kind == "status":
        headers = {} if rule.retry_after is None else {"Retry-After": _retry_after(rule.retry_after)}
        await error_response(rule.status, rule.code, rule.message, headers)(scope, receive, send)
        return True
    await drop_connection(raw_send, receive)
    return True


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _methods(template: str) -> list[str]:
    return sorted({operation.method for operation in OPERATIONS if operation.template == template})


def _methods_endpoint(world: World, template: str) -> Callable[[Request], Any]:
    by_method = {
        operation.method: _endpoint(world, operation) for operation in OPERATIONS if operation.template == template
    }

    async def endpoint(request: Request) -> Response:
        handler = by_method[request.method]
        response: Response = await handler(request)
        return response

    return endpoint


def create_planetscale_api(world: World) -> Starlette:
    """The stand-in as an ASGI app; serve it and point the client at `{base}/v1`."""
    return PlanetScaleStandIn(world)
