"""The policy module: deny by default, roles, and country scope."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbridge import policy
from healthbridge.errors import Forbidden
from healthbridge.policy import (
    RULES,
    Action,
    Principal,
    Role,
    Rule,
    Scope,
    authorize,
    is_allowed,
    visible_countries,
)

COUNTRIES = ["THA", "VNM", "KOR", "IDN"]
countries = st.sampled_from([None, *COUNTRIES])
principals = st.builds(
    lambda role, country: Principal(email="p@example.org", role=role, country=country),
    st.sampled_from(list(Role)),
    countries,
)


def test_every_action_has_a_rule() -> None:
    assert set(Action) == set(RULES)


def test_an_action_without_a_rule_is_denied_to_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(policy.RULES, Action.REFERENCE_READ)
    admin = Principal(email="a@example.org", role=Role.REGIONAL_ADMIN, country=None)
    assert not is_allowed(admin, Action.REFERENCE_READ)
    with pytest.raises(Forbidden, match="no policy"):
        authorize(admin, Action.REFERENCE_READ)


@given(principals, st.sampled_from(list(Action)), countries)
def test_roles_outside_the_rule_are_always_denied(
    actor: Principal, action: Action, country: str | None
) -> None:
    if actor.role not in RULES[action].roles:
        assert not is_allowed(actor, action, country=country)


@given(principals, countries)
def test_own_country_scope_never_crosses_borders(actor: Principal, country: str | None) -> None:
    rule = Rule(frozenset(Role), Scope.OWN_COUNTRY, personal_data=True)
    original = RULES[Action.ACCOUNT_READ]
    RULES[Action.ACCOUNT_READ] = rule
    try:
        allowed = is_allowed(actor, Action.ACCOUNT_READ, country=country)
    finally:
        RULES[Action.ACCOUNT_READ] = original
    # Case-level scope: only the record's own country, and never the region.
    assert allowed == (actor.country is not None and actor.country == country)


@given(principals, st.sampled_from(COUNTRIES))
def test_account_records_stay_in_their_country(actor: Principal, country: str) -> None:
    allowed = is_allowed(actor, Action.ACCOUNT_READ, country=country)
    if actor.country not in (None, country):
        assert not allowed
    if allowed:
        assert actor.role in {Role.REGIONAL_ADMIN, Role.FOCAL_POINT}


def test_forbidden_carries_what_was_attempted() -> None:
    thai = Principal(email="t@example.org", role=Role.FOCAL_POINT, country="THA")
    with pytest.raises(Forbidden) as caught:
        authorize(thai, Action.ACCOUNT_READ, country="VNM", object_type="user", object_id="7")
    assert caught.value.context is not None
    assert caught.value.context.country == "VNM"
    assert caught.value.context.object_id == "7"
    assert "VNM" in caught.value.detail


def test_visible_countries() -> None:
    thai = Principal(email="t@example.org", role=Role.FOCAL_POINT, country="THA")
    admin = Principal(email="a@example.org", role=Role.REGIONAL_ADMIN, country=None)
    viewer = Principal(email="v@example.org", role=Role.VIEWER, country="THA")
    assert visible_countries(thai, Action.ACCOUNT_READ) == frozenset({"THA"})
    assert visible_countries(admin, Action.ACCOUNT_READ) is None
    assert visible_countries(viewer, Action.REFERENCE_READ) is None
    with pytest.raises(Forbidden):
        visible_countries(viewer, Action.ACCOUNT_READ)


def test_regional_only_actions_reach_no_country_user() -> None:
    from healthbridge.policy import Action, Principal, Role, is_allowed, visible_countries

    regional = Principal(email="l@asean", role=Role.LOGISTICS_OFFICER, country=None)
    national = Principal(email="l@tha", role=Role.LOGISTICS_OFFICER, country="THA")
    for action in (Action.CATALOGUE_MANAGE, Action.RESOURCE_APPROVE):
        assert is_allowed(regional, action)
        assert is_allowed(regional, action, country="THA")
        assert not is_allowed(national, action)
        assert not is_allowed(national, action, country="THA")
        assert visible_countries(regional, action) is None
        assert visible_countries(national, action) == frozenset()
    # Stock: a country's logistics officer manages its own country's holders only.
    assert is_allowed(national, Action.STOCK_MANAGE, country="THA")
    assert not is_allowed(national, Action.STOCK_MANAGE, country="VNM")
