"""The base of every input model: integers are held to PostgreSQL's ``integer`` unless a field
declares its own bounds, naming the field (on SQLite a 64-bit value would be stored; on
PostgreSQL it was a 500)."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

import healthbridge
from healthbridge.accounts.models import User
from healthbridge.inputs import INT_MAX, INT_MIN, InputModel
from healthbridge.policy import Role
from problem_assertions import assert_problem


class Sample(InputModel):
    count: int
    maybe: int | None = None
    positive: int = Field(default=1, ge=1)
    several: list[int] = Field(default_factory=list)
    by_name: dict[str, int] = Field(default_factory=dict)
    wide: int = Field(default=0, ge=-(2**63), le=2**63 - 1)
    name: str = "x"


IN_RANGE = st.integers(INT_MIN, INT_MAX)
OUT_OF_RANGE = st.one_of(st.integers(max_value=INT_MIN - 1), st.integers(min_value=INT_MAX + 1))
EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def fields_of(error: ValidationError) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in error.errors()]


@EXAMPLES
@given(number=IN_RANGE)
def test_any_integer_of_postgresqls_range_passes(number: int) -> None:
    sample = Sample(count=number, maybe=number, several=[number], by_name={"a": number})
    assert (sample.count, sample.maybe, sample.several, sample.by_name) == (
        number,
        number,
        [number],
        {"a": number},
    )


@EXAMPLES
@given(number=OUT_OF_RANGE, field=st.sampled_from(["count", "maybe", "several", "by_name"]))
def test_any_integer_beyond_it_is_an_error_naming_the_field(number: int, field: str) -> None:
    value: Any = {"several": [1, number], "by_name": {"a": number}}.get(field, number)
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate({"count": 1, field: value})
    assert fields_of(raised.value) == [(field,)]
    assert f"from {INT_MIN} to {INT_MAX}" in str(raised.value)


@EXAMPLES
@given(number=st.integers(-(2**63), 2**63 - 1))
def test_a_field_that_declares_a_wider_range_keeps_it(number: int) -> None:
    assert Sample(count=1, wide=number).wide == number


def test_a_declared_bound_is_trusted_on_its_side_only() -> None:
    # ``ge=1`` says nothing of the top: PostgreSQL's bound holds there.
    with pytest.raises(ValidationError) as raised:
        Sample(count=1, positive=INT_MAX + 1)
    assert fields_of(raised.value) == [("positive",)]
    assert Sample(count=1, positive=INT_MAX).positive == INT_MAX


def test_booleans_and_other_types_are_left_alone() -> None:
    assert Sample(count=True, name="2147483648").count == 1


def _input_models() -> Iterator[type[InputModel]]:
    for module in pkgutil.walk_packages(healthbridge.__path__, "healthbridge."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    seen: set[type[InputModel]] = set()
    todo = list(InputModel.__subclasses__())
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.add(model)
            todo.extend(model.__subclasses__())
            yield model


def _is_int(annotation: Any) -> bool:
    return annotation is int or any(_is_int(a) for a in typing.get_args(annotation))


def test_every_integer_field_of_every_input_model_is_held_to_the_range() -> None:
    """No field of ours needs more (every id and count is stored in an ``Integer`` column):
    beyond PostgreSQL's range every one is an error naming it, whatever else is missing."""
    checked = []
    for model in _input_models():
        for name, field in model.model_fields.items():
            if model.__module__ == __name__ or not _is_int(field.annotation):
                continue
            with pytest.raises(ValidationError) as raised:
                model.model_validate({name: INT_MAX + 1})
            assert (name,) in fields_of(raised.value), f"{model.__name__}.{name}"
            checked.append(f"{model.__name__}.{name}")
    assert "RequestCreate.quantity" in checked and "EventCreate.signal_id" in checked
    assert len(checked) > 30


def _integer_schemas(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            yield schema
        for value in schema.values():
            yield from _integer_schemas(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _integer_schemas(value)


def test_the_published_schemas_say_the_range_of_every_integer() -> None:
    """What is enforced is published: each input model's JSON schema (and so the OpenAPI
    document) gives every integer a minimum and a maximum, PostgreSQL's unless it declares its
    own, so that clients and generated code know the range."""
    seen = 0
    for model in _input_models():
        if model.__module__ == __name__:
            continue
        for found in _integer_schemas(model.model_json_schema().get("properties", {})):
            assert {"minimum", "exclusiveMinimum"} & set(found), (model.__name__, found)
            assert {"maximum", "exclusiveMaximum"} & set(found), (model.__name__, found)
            seen += 1
    assert seen > 30


def test_the_openapi_document_carries_the_ranges(client: TestClient) -> None:
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    [signal_id] = [
        part
        for part in components["EventCreate"]["properties"]["signal_id"]["anyOf"]
        if part.get("type") == "integer"
    ]
    assert (signal_id["minimum"], signal_id["maximum"]) == (INT_MIN, INT_MAX)


def test_an_integer_beyond_postgresqls_range_is_a_422_not_a_500(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    response = client.post("/api/v1/events", json={"signal_id": 2**31}, headers=headers)
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["signal_id"]


def test_an_identifier_beyond_postgresqls_range_in_a_path_is_a_4xx_not_a_500(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    backend: str,
) -> None:
    """No record has it: SQLite (64-bit) finds none, PostgreSQL refuses to compare it with an
    ``integer`` column, which the border answers as the client's error."""
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    for path in ("/api/v1/events/{n}", "/api/v1/users/{n}"):
        response = client.get(path.format(n=2**31), headers=headers)
        if backend == "sqlite":
            assert_problem(response, 404)
        else:
            detail = assert_problem(response, 422)["detail"]
            assert detail == f"a number in the request is out of range: from {INT_MIN} to {INT_MAX}"
        # A number PostgreSQL can compare is looked up as usual.
        assert_problem(client.get(path.format(n=INT_MAX), headers=headers), 404)
