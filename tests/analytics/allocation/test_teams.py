"""Team deployment: the assignment MIP and its qualification rules."""

from __future__ import annotations

from typing import Any

from healthbridge.analytics.allocation import parse_problem, plan_to_dict, solve
from healthbridge.analytics.allocation.teams import team_pairs


def team(id: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": id,
        "holder": "KOR",
        "type": "emt_type_2",
        "skills": ["surgery", "trauma"],
        "languages": ["en", "ko"],
        "available_from": "2026-11-20",
        "available_until": "2027-01-31",
        **changes,
    }


def wanted(id: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": id,
        "country": "LAO",
        "type": "emt_type_2",
        "skills": ["surgery"],
        "languages": ["en", "lo"],
        "priority": "high",
        "needed_from": "2026-12-01",
        "needed_until": "2026-12-20",
        **changes,
    }


def deploy(
    teams: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    problem = parse_problem(
        {
            "today": "2026-11-26",
            "items": [],
            "lots": [],
            "requests": [],
            "transit_days": {"KOR": {"LAO": 4}, "JPN": {"LAO": 9}},
            "teams": teams,
            "team_requests": requests,
        }
    )
    return [(d.team, d.team_request, d.arrives_on.isoformat()) for d in solve(problem).deployments]


def test_a_qualifying_team_is_deployed() -> None:
    assert deploy([team("T1")], [wanted("TR1")]) == [("T1", "TR1", "2026-11-30")]


def test_type_skills_language_and_route_must_all_match() -> None:
    assert deploy([team("T1", type="emt_type_1_mobile")], [wanted("TR1")]) == []
    assert deploy([team("T1", skills=["trauma"])], [wanted("TR1")]) == []
    assert deploy([team("T1", languages=["ko"])], [wanted("TR1")]) == []
    assert deploy([team("T1", holder="CHN")], [wanted("TR1")]) == []
    assert deploy([team("T1")], [wanted("TR1", languages=[])]) != []  # any language


def test_the_team_must_stay_for_the_whole_window() -> None:
    assert deploy([team("T1", available_until="2026-12-19")], [wanted("TR1")]) == []
    assert deploy([team("T1", available_until="2026-12-20")], [wanted("TR1")]) != []


def test_departure_waits_for_availability_and_late_arrival_is_allowed() -> None:
    # Free from 2026-12-10: arrives 2026-12-14, 13 days late but before the window ends.
    assert deploy([team("T1", available_from="2026-12-10")], [wanted("TR1")]) == [
        ("T1", "TR1", "2026-12-14")
    ]
    # Free from 2026-12-17: would arrive 2026-12-21, after the window.
    assert deploy([team("T1", available_from="2026-12-17")], [wanted("TR1")]) == []


def test_priority_first_then_lateness() -> None:
    # One team, two requests: the critical one gets it.
    got = deploy([team("T1")], [wanted("LOW", priority="low"), wanted("CRIT", priority="critical")])
    assert got == [("T1", "CRIT", "2026-11-30")]
    # Two teams qualify for one request: the one arriving on time is chosen.
    got = deploy(
        [team("SLOW", holder="JPN"), team("FAST")], [wanted("TR1", needed_from="2026-11-30")]
    )
    assert got == [("FAST", "TR1", "2026-11-30")]


def test_each_team_serves_one_request_and_each_request_one_team() -> None:
    got = deploy([team("T1"), team("T2")], [wanted("A"), wanted("B"), wanted("C")])
    assert len(got) == 2
    assert len({t for t, _, _ in got}) == 2 and len({r for _, r, _ in got}) == 2


def test_plan_json_lists_deployments_and_a_team_summary() -> None:
    problem = parse_problem(
        {
            "today": "2026-11-26",
            "items": [],
            "lots": [],
            "requests": [],
            "transit_days": {"KOR": {"LAO": 4}},
            "teams": [team("T1")],
            "team_requests": [wanted("TR1"), wanted("TR2", type="field_epidemiologist")],
        }
    )
    assert len(team_pairs(problem)) == 1
    document = plan_to_dict(problem, solve(problem))
    assert document["deployments"] == [
        {"team": "T1", "team_request": "TR1", "arrives_on": "2026-11-30"}
    ]
    assert document["summary"]["teams"]["unfilled"] == ["TR2"]
    assert document["summary"]["teams"]["filled"] == 1
