"""The conformance check itself: it catches a stand-in that drifts, and the stand-in's routes and scope table match
the vendored spec."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.planetscale.api import OPERATIONS, match_template
from bot.sandbox.planetscale.faults import RequestRecord
from bot.sandbox.planetscale.scopes import OPERATION_ACCESS
from scripts.vendor_planetscale_spec import OPERATIONS as VENDORED
from tests.support.planetscale import conformance_problems, load_spec, serve_planetscale

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _wrong_type(method: str, template: str, body: Any) -> Any:
    if template == "/user":
        return {**body, "two_factor_auth_configured": "no"}
    return body


async def test_a_wrong_field_type_is_reported() -> None:
    world = World()
    demo = seed_demo(world)
    world.response_mutator = _wrong_type
    with serve_planetscale(world, demo=demo) as served:
        async with served.client(served.token(demo.admin)) as client:
            assert (await client.get("/user")).status_code == 200
            assert (await client.get("/organizations")).status_code == 200
        problems = served.problems()
    assert len(problems) == 1
    assert problems[0].startswith("GET /v1/user? → 200: response:")
    assert "two_factor_auth_configured" in problems[0]
    assert "'no' is not of type 'boolean'" in problems[0]


async def test_a_missing_required_field_is_reported_even_under_latency() -> None:
    world = World()
    demo = seed_demo(world)

    def drop_name(method: str, template: str, body: Any) -> Any:
        return {key: value for key, value in body.items() if key != "name"}

    world.response_mutator = drop_name
    world.faults.latency(path="/user", seconds=0)  # latency faults are still checked: the stand-in answered
    with serve_planetscale(world, demo=demo) as served:
        async with served.client(served.token(demo.admin)) as client:
            await client.get("/user")
        problems = served.problems()
    assert len(problems) == 1
    assert "'name' is a required property" in problems[0]


def test_an_answer_is_judged_once_its_body_has_been_sent_whole() -> None:
    """The checks may run while the bot's follow-ups are still being answered (a burst's, paced): an answer whose
    status is sent and whose body is not yet is not a body missing from the spec; the same answer once sent is."""
    path = "/v1/organizations/acme/databases/shop/branches"
    being_sent = RequestRecord(
        method="GET", path=path, template=match_template(path), query="page=1&per_page=25",
        request_content_type=None, request_body=b"", status=200, response_content_type="application/json",
        response_headers={"content-type": "application/json"},
    )
    assert conformance_problems([being_sent]) == []
    being_sent.answered = True
    problems = conformance_problems([being_sent])
    assert len(problems) == 1
    assert "Missing response data" in problems[0]


def test_served_operations_are_exactly_the_vendored_subset() -> None:
    spec = load_spec()
    in_spec = {
        (method.upper(), path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    served = {(operation.method, operation.template, operation.operation_id) for operation in OPERATIONS}
    assert served == in_spec
    assert {(method.upper(), path) for path, methods in VENDORED.items() for method in methods} == {
        (method, path) for method, path, _ in in_spec
    }
    assert spec["info"]["x-source"]["source_sha256"]


def test_scope_table_matches_the_spec_descriptions() -> None:
    spec = load_spec()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            rows = re.findall(r"^\| (User|Organization|Database|Branch) \| (.*?) \|$", operation["description"], re.M)
            documented = {
                f"{resource.lower()}:{scope}" for resource, cell in rows for scope in re.findall(r"`(\w+)`", cell)
            }
            allowed = OPERATION_ACCESS[operation["operationId"]].allowed
            if documented:
                assert allowed == documented, operation["operationId"]
            else:
                # Only the deploy queue documents no scopes; the stand-in asks for deploy-request read access.
                assert operation["operationId"] == "get_deploy_queue"
