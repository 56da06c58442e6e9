"""parse_problem: the problem.json contract, every error collected with its field path."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthbridge.analytics.allocation import ProblemError, parse_problem

EXAMPLE: dict[str, Any] = {
    "today": "2026-11-26",
    "priority_weights": {"critical": 8, "high": 4, "medium": 2, "low": 1},
    "items": [{"id": "ors-sachet", "min_shelf_life_days": 90}],
    "lots": [
        {
            "id": "L1",
            "item": "ors-sachet",
            "holder": "KOR",
            "quantity": 1000,
            "expires_on": "2027-06-30",
        }
    ],
    "requests": [
        {
            "id": "R1",
            "item": "ors-sachet",
            "country": "LAO",
            "quantity": 500,
            "priority": "critical",
            "needed_by": "2026-12-05",
        }
    ],
    "transit_days": {"KOR": {"LAO": 4}},
}


def example(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data.update(changes)
    return data


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    return dict(caught.value.errors)


def test_the_issue_example_parses() -> None:
    problem = parse_problem(EXAMPLE)
    assert problem.today == date(2026, 11, 26)
    assert problem.item("ors-sachet").min_shelf_life_days == 90
    [lot] = problem.lots
    assert (lot.id, lot.holder, lot.quantity, lot.expires_on) == (
        "L1",
        "KOR",
        1000,
        date(2027, 6, 30),
    )
    [request] = problem.requests
    assert (request.country, request.quantity, request.priority) == ("LAO", 500, "critical")
    assert problem.transit("KOR", "LAO") == 4
    assert problem.has_teams is False


def test_weights_default_and_any_subset_overrides() -> None:
    data = example()
    del data["priority_weights"]
    assert dict(parse_problem(data).priority_weights) == {
        "critical": 8.0,
        "high": 4.0,
        "medium": 2.0,
        "low": 1.0,
    }
    weights = parse_problem(example(priority_weights={"low": 2.5})).priority_weights
    assert weights["low"] == 2.5 and weights["critical"] == 8.0


@pytest.mark.parametrize("value", [0, -1, True, "8", None, float("inf")])
def test_weights_must_be_positive_numbers(value: Any) -> None:
    errors = errors_of(example(priority_weights={"high": value}))
    assert "priority_weights.high" in errors


def test_unknown_priority_weight_is_an_error() -> None:
    assert "priority_weights.urgent" in errors_of(example(priority_weights={"urgent": 9}))


def test_transit_self_defaults_to_zero_and_missing_pairs_are_none() -> None:
    problem = parse_problem(example(transit_days={"KOR": {"LAO": 4, "KOR": 2}}))
    assert problem.transit("LAO", "LAO") == 0
    assert problem.transit("KOR", "KOR") == 2  # given explicitly
    assert problem.transit("LAO", "KOR") is None
    assert problem.transit("KOR", "THA") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must be a whole number >= 0"),
        (2.5, "must be a whole number >= 0"),
        (True, "must be a whole number >= 0"),
        ("10", "must be a whole number >= 0"),
        (10**10, "must be at most 1000000000"),
    ],
)
def test_quantities_are_whole_numbers(value: Any, message: str) -> None:
    data = example()
    data["lots"] = [dict(data["lots"][0], id=f"L{k}") for k in range(4)]
    data["lots"][3]["quantity"] = value
    assert errors_of(data) == {"lots[3].quantity": message}


def test_huge_numbers_are_errors_not_crashes() -> None:
    data = example(priority_weights={"low": 10**400})
    data["items"][0]["min_shelf_life_days"] = 10**400
    data["transit_days"] = {"KOR": {"LAO": -(10**400)}}
    errors = errors_of(data)
    assert errors["priority_weights.low"] == "must be a positive number (at most 1000000)"
    assert errors["items[0].min_shelf_life_days"] == "must be at most 3650"
    assert errors["transit_days.KOR.LAO"] == "must be a whole number >= 0"


def test_a_whole_float_is_a_whole_number() -> None:
    data = example()
    data["lots"][0]["quantity"] = 1000.0
    assert parse_problem(data).lots[0].quantity == 1000


@pytest.mark.parametrize(
    "value", ["2026-02-30", "20261126", "26/11/2026", "2026-11-26T00:00", 20261126]
)
def test_bad_dates(value: Any) -> None:
    assert errors_of(example(today=value)) == {"today": "not a date (YYYY-MM-DD)"}


def test_unknown_item_and_every_error_listed() -> None:
    data = example()
    data["requests"][0]["item"] = "x"
    data["requests"][0]["priority"] = "urgent"
    data["lots"][0]["expires_on"] = "soon"
    data["today"] = "tomorrow"
    data["extra"] = 1
    errors = errors_of(data)
    assert errors["requests[0].item"] == "unknown item 'x'"
    assert errors["requests[0].priority"].startswith("must be one of critical, high, medium, low")
    assert errors["lots[0].expires_on"] == "not a date (YYYY-MM-DD)"
    assert errors["today"] == "not a date (YYYY-MM-DD)"
    assert errors["extra"] == "unknown field"
    assert len(errors) == 5


def test_duplicate_ids_missing_and_unknown_fields() -> None:
    data = example()
    data["lots"].append(dict(data["lots"][0]))
    data["requests"][0]["qty"] = 5
    del data["requests"][0]["needed_by"]
    errors = errors_of(data)
    assert errors["lots[1].id"] == "duplicate id 'L1' (first at lots[0])"
    assert errors["requests[0].qty"] == "unknown field"
    assert errors["requests[0].needed_by"] == "is required"


def test_problem_error_is_a_value_error_naming_fields() -> None:
    with pytest.raises(ValueError, match=r"lots\[0\]\.quantity: must be a whole number >= 0"):
        data = example()
        data["lots"][0]["quantity"] = -5
        parse_problem(data)


def test_not_an_object() -> None:
    assert errors_of([1, 2]) == {"problem": "must be a JSON object"}


def test_teams_parse_and_are_checked() -> None:
    team = {
        "id": "T1",
        "holder": "KOR",
        "type": "emt_type_2",
        "skills": ["surgery"],
        "languages": ["en", "ko"],
        "available_from": "2026-11-20",
        "available_until": "2027-01-31",
    }
    wanted = {
        "id": "TR1",
        "country": "LAO",
        "type": "emt_type_2",
        "skills": ["surgery"],
        "languages": ["en"],
        "priority": "high",
        "needed_from": "2026-12-01",
        "needed_until": "2026-12-20",
    }
    problem = parse_problem(example(teams=[team], team_requests=[wanted]))
    assert problem.has_teams
    assert problem.teams[0].skills == frozenset({"surgery"})
    assert problem.team_requests[0].languages == frozenset({"en"})
    bad = dict(team, type="emt_type_9", available_until="2026-01-01", skills="surgery")
    errors = errors_of(example(teams=[bad], team_requests=[]))
    assert set(errors) == {"teams[0].type", "teams[0].available_until", "teams[0].skills"}


def test_requested_at_accepts_dates_and_date_times() -> None:
    data = example()
    data["requests"][0]["requested_at"] = "2026-11-20T08:30:00+07:00"
    stamp = parse_problem(data).requests[0].requested_at
    assert stamp is not None and (stamp.hour, stamp.minute) == (1, 30)  # in UTC
    data["requests"][0]["requested_at"] = "last week"
    assert "requests[0].requested_at" in errors_of(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id",
    "item",
    "holder",
    "quantity",
    "expires_on",
    "country",
    "priority",
    "needed_by",
    "min_shelf_life_days",
    "requested_at",
    "type",
    "skills",
    "languages",
    "available_from",
    "available_until",
    "needed_from",
    "needed_until",
]
near_values = json_values | st.sampled_from(
    ["2026-11-26", "ors-sachet", "L1", "critical", "KOR", "emt_type_2", 0, 5, -1, 1.5]
)
records = st.lists(st.dictionaries(st.sampled_from(FIELDS), near_values, max_size=8), max_size=3)
near_problems = st.fixed_dictionaries(
    {},
    optional={
        "today": near_values,
        "priority_weights": st.dictionaries(st.sampled_from(["critical", "low", "x"]), near_values),
        "items": records,
        "lots": records,
        "requests": records,
        "teams": records,
        "team_requests": records,
        "transit_days": st.dictionaries(
            st.text(max_size=4), st.dictionaries(st.text(max_size=4), near_values) | near_values
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, near_problems))
def test_junk_never_raises_anything_but_problem_error(data: Any) -> None:
    try:
        parse_problem(data)
    except ProblemError as exc:
        assert exc.errors
        assert all(
            isinstance(path, str) and isinstance(message, str) for path, message in exc.errors
        )


def test_lots_bound_to_requests() -> None:
    data = example()
    data["lots"][0]["for_requests"] = ["R1"]
    [lot] = parse_problem(data).lots
    assert lot.for_requests == frozenset({"R1"}) and lot.may_serve("R1") and not lot.may_serve("R2")
    data["items"].append({"id": "masks"})
    data["requests"].append(dict(data["requests"][0], id="R2", item="masks"))
    data["lots"][0]["for_requests"] = ["R2", "R9"]
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert sorted(caught.value.errors) == [
        ("lots[0].for_requests", "request 'R2' is for item 'masks', not 'ors-sachet'"),
        ("lots[0].for_requests", "unknown request 'R9'"),
    ]
