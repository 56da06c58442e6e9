"""IHR (2005) Annex 2: every path of the instrument, the disease table against our reference
list, validation, and the any-two-yes rule as a property."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbridge.analytics.eoc.ihr_annex2 import (
    DISEASE_GROUPS,
    Annex2Group,
    Answer,
    Question,
    decide,
    disease_group,
)

DISEASES = json.loads(
    (Path(__file__).parents[3] / "src/healthbridge/reference/diseases.json").read_text("utf-8")
)
AT = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)


def answers(*yes: bool) -> dict[Question, Answer]:
    return {q: Answer(y, f"because {q.value}") for q, y in zip(Question, yes, strict=True)}


def test_table_covers_exactly_our_disease_codes() -> None:
    assert set(DISEASE_GROUPS) == {d["code"] for d in DISEASES}


def test_always_notifiable_matches_the_reference_flag() -> None:
    flagged = {d["code"] for d in DISEASES if d["ihr_always_notifiable"]}
    assert {c for c, g in DISEASE_GROUPS.items() if g is Annex2Group.ALWAYS_NOTIFIABLE} == flagged
    assert flagged == {"polio", "avian_influenza_h5n1"}


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("cholera", Annex2Group.ALWAYS_ALGORITHM),
        ("dengue", Annex2Group.ALWAYS_ALGORITHM),
        ("severe_dengue", Annex2Group.ALWAYS_ALGORITHM),
        ("mers", Annex2Group.ALGORITHM_IF_CONCERN),
        ("measles", Annex2Group.ALGORITHM_IF_CONCERN),
        (None, Annex2Group.ALGORITHM_IF_CONCERN),
    ],
)
def test_groups(code: str | None, group: Annex2Group) -> None:
    assert disease_group(code) is group


def test_always_notifiable_notifies_without_answers() -> None:
    decision = decide(disease="polio", answers={}, decided_at=AT)
    assert decision.notify and decision.group is Annex2Group.ALWAYS_NOTIFIABLE
    assert decision.deadline == datetime(2026, 4, 1, 22, 30, tzinfo=UTC)
    assert "always" in decision.reason and decision.yes_count == 0


def test_always_notifiable_notifies_even_with_four_no_and_keeps_them() -> None:
    decision = decide(disease="avian_influenza_h5n1", answers=answers(*[False] * 4), decided_at=AT)
    assert decision.notify and decision.yes_count == 0
    assert decision.answers[Question.UNUSUAL].justification == "because unusual"


@pytest.mark.parametrize("disease", ["cholera", "measles", None])
@pytest.mark.parametrize("yes", list(product([False, True], repeat=4)))
def test_algorithm_every_combination(disease: str | None, yes: tuple[bool, ...]) -> None:
    decision = decide(disease=disease, answers=answers(*yes), decided_at=AT)
    assert decision.yes_count == sum(yes)
    assert decision.notify is (sum(yes) >= 2)
    if decision.notify:
        assert decision.deadline == AT + timedelta(hours=24)
        assert "any two" in decision.reason
    else:
        assert decision.deadline is None
        assert "not notified at this stage" in decision.reason


def test_reason_names_the_questions_answered_yes() -> None:
    decision = decide(disease="cholera", answers=answers(True, False, True, False), decided_at=AT)
    assert "Is the public health impact of the event serious?" in decision.reason
    assert "international spread" in decision.reason and "unusual" not in decision.reason


def test_deadline_keeps_the_time_zone() -> None:
    bangkok = timezone(timedelta(hours=7))
    at = datetime(2026, 6, 1, 9, 0, tzinfo=bangkok)
    decision = decide(disease="dengue", answers=answers(True, True, False, False), decided_at=at)
    assert decision.deadline == datetime(2026, 6, 2, 9, 0, tzinfo=bangkok)


def test_assessor_can_take_polio_through_the_algorithm() -> None:
    decision = decide(
        disease="polio",
        answers=answers(True, False, False, False),
        decided_at=AT,
        group="always_algorithm",
    )
    assert not decision.notify and decision.group is Annex2Group.ALWAYS_ALGORITHM


def test_string_keys_are_read() -> None:
    given_answers = {q.value: a for q, a in answers(True, True, False, False).items()}
    assert decide(disease="cholera", answers=given_answers, decided_at=AT).notify


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"disease": "ebola"}, "disease"),
        ({"decided_at": datetime(2026, 3, 31, 22, 30)}, "decided_at"),
        ({"decided_at": "2026-03-31T22:30Z"}, "decided_at"),
        ({"group": "sometimes"}, "group"),
        ({"group": "always_algorithm", "disease": "smallpox"}, "disease"),
        (
            {"answers": {q: a for q, a in list(answers(True, True, True, True).items())[:3]}},
            "answers.travel_trade_restrictions",
        ),
        ({"answers": {**answers(True, True, True, True), "q5": Answer(True, "x")}}, "answers"),
        (
            {"answers": {**answers(True, True, True, True), Question.UNUSUAL: Answer(True, "  ")}},
            "answers.unusual.justification",
        ),
        (
            {"answers": {**answers(True, True, True, True), Question.UNUSUAL: True}},
            "answers.unusual",
        ),
        (
            {"answers": {**answers(True, True, True, True), Question.UNUSUAL: Answer(1, "x")}},
            "answers.unusual",
        ),
        ({"answers": [True, True]}, "answers"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "disease": "cholera",
        "answers": answers(True, True, True, True),
        "decided_at": AT,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=f"^{field}[:.]"):
        decide(**arguments)


@given(
    st.sampled_from(
        sorted(c for c, g in DISEASE_GROUPS.items() if g is not Annex2Group.ALWAYS_NOTIFIABLE)
    ),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.permutations(list(Question)),
)
def test_any_two_yes_notify(disease: str, yes: list[bool], order: list[Question]) -> None:
    given_answers = {q: Answer(y, "j") for q, y in zip(order, yes, strict=True)}
    decision = decide(disease=disease, answers=given_answers, decided_at=AT)
    assert decision.notify is (sum(yes) >= 2)
    # One more yes never withdraws a notification.
    if decision.notify and not all(yes):
        flipped = dict(given_answers)
        first_no = next(q for q in order if not given_answers[q].yes)
        flipped[first_no] = Answer(True, "j")
        assert decide(disease=disease, answers=flipped, decided_at=AT).notify
