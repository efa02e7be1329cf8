"""Every field the client's models declare exists in PlanetScale's spec, with a compatible JSON type.

Walks each endpoint of `bot.planetscale.endpoints` to its operation in the vendored spec subset
(tests/data/planetscale/openapi.subset.json, cut from planetscale/openapi.json) and the model to the operation's
success response schema, recursing into nested models, lists and pages. Also: a field the spec marks nullable must
accept None, and a field the spec does not promise must have a default.
"""

from __future__ import annotations

import json
import types
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, SecretStr

from bot.planetscale import models
from bot.planetscale.endpoints import ALL_ENDPOINTS, BodylessEndpoint, Endpoint

SPEC = Path(__file__).resolve().parent.parent / "data" / "planetscale" / "openapi.subset.json"
JSON_TYPES: dict[type, set[str]] = {
    str: {"string"},
    SecretStr: {"string"},
    datetime: {"string"},
    bool: {"boolean"},
    int: {"integer"},
    float: {"number", "integer"},
    dict: {"object"},
}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return loaded


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def success_response(method: str, template: str) -> tuple[str, dict[str, Any]]:
    operation = spec()["paths"][template][method.lower()]
    (status, response), *_ = [(code, value) for code, value in operation["responses"].items() if code.startswith("2")]
    return status, resolve(response)


def _members(annotation: Any) -> tuple[list[Any], bool]:
    """The non-None members of a (possibly optional) annotation, and whether None is allowed."""
    if get_origin(annotation) in {Union, types.UnionType}:
        members = [member for member in get_args(annotation) if member is not type(None)]
        return members, len(members) < len(get_args(annotation))
    return [annotation], annotation is Any


def type_problems(annotation: Any, schema: dict[str, Any], where: str, seen: set[type[BaseModel]]) -> list[str]:
    schema = resolve(schema)
    members, _ = _members(annotation)
    problems: list[str] = []
    for member in members:
        if member is Any:
            continue
        origin = get_origin(member) or member
        json_type = schema.get("type")
        if origin is list:
            if json_type != "array":
                problems.append(f"{where}: a list in the model, {json_type!r} in the spec")
            else:
                problems += type_problems(get_args(member)[0], schema.get("items", {}), f"{where}[]", seen)
        elif isinstance(origin, type) and issubclass(origin, BaseModel):
            if json_type != "object":
                problems.append(f"{where}: a {origin.__name__} in the model, {json_type!r} in the spec")
            else:
                problems += model_problems(origin, schema, where, seen)
        else:
            base = str if isinstance(origin, type) and issubclass(origin, StrEnum) else origin
            allowed = JSON_TYPES.get(base)
            if allowed is None:
                problems.append(f"{where}: the check does not know how {member!r} maps to JSON")
            elif json_type not in allowed:
                problems.append(f"{where}: {member!r} in the model, {json_type!r} in the spec")
    return problems


def model_problems(model: type[BaseModel], schema: dict[str, Any], where: str, seen: set[type[BaseModel]]) -> list[str]:
    seen.add(model)
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    problems: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{where}.{name}"
        if name not in properties:
            problems.append(f"{path}: {model.__name__} declares it, the spec does not have it")
            continue
        prop = resolve(properties[name])
        _, accepts_none = _members(field.annotation)
        if prop.get("nullable") and not accepts_none:
            problems.append(f"{path}: the spec allows null, the model does not")
        if name not in required and field.is_required():
            problems.append(f"{path}: the spec may leave it out, the model requires it")
        problems += type_problems(field.annotation, prop, path, seen)
    return problems


def test_every_endpoint_exists_and_every_model_field_is_in_its_response() -> None:
    seen: set[type[BaseModel]] = set()
    problems: list[str] = []
    for endpoint in ALL_ENDPOINTS:
        label = f"{endpoint.method} {endpoint.template}"
        operations = spec()["paths"].get(endpoint.template, {})
        if endpoint.method.lower() not in operations:
            problems.append(f"{label}: no such operation in the spec")
            continue
        status, response = success_response(endpoint.method, endpoint.template)
        if isinstance(endpoint, BodylessEndpoint):
            if "content" in response:
                problems.append(f"{label}: the client expects no body, the spec answers {status} with one")
            continue
        assert isinstance(endpoint, Endpoint)
        schema = response["content"]["application/json"]["schema"]
        problems += model_problems(endpoint.response, resolve(schema), label, seen)
    assert problems == []
    # Every model in models.py is reached from some endpoint, so none escapes this check.
    declared = {
        name
        for name, value in vars(models).items()
        if isinstance(value, type)
        and issubclass(value, models.PlanetScaleModel)
        and value is not models.PlanetScaleModel
    }
    checked = {model.__name__.split("[")[0] for model in seen}  # Page[Branch] is a check of Page
    assert declared - checked == set()


@pytest.mark.parametrize(
    ("model", "schema", "expected"),
    [
        (models.Actor, {"type": "object", "properties": {"id": {"type": "string"}}}, "display_name: Actor declares it"),
        (
            models.Actor,
            {
                "type": "object",
                "required": ["id", "display_name"],
                "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"}, "avatar_url": {}},
            },
            ".id: <class 'str'> in the model, 'integer' in the spec",
        ),
        (
            models.Actor,
            {
                "type": "object",
                "required": ["id", "display_name"],
                "properties": {
                    "id": {"type": "string"},
                    "display_name": {"type": "string", "nullable": True},
                    "avatar_url": {"type": "string"},
                },
            },
            ".display_name: the spec allows null, the model does not",
        ),
        (
            models.Actor,
            {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "display_name": {"type": "string"}, "avatar_url": {}},
            },
            ".display_name: the spec may leave it out, the model requires it",
        ),
    ],
)
def test_the_check_catches_mismatches(model: type[BaseModel], schema: dict[str, Any], expected: str) -> None:
    problems = model_problems(model, schema, "x", set())
    assert any(expected in problem for problem in problems), problems
