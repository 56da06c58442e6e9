"""The situation room: figures per user (sharing and data sovereignty), the JSON API, the pages
and the panels htmx reloads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.web.situation_arrange import TODAY, Arranged, arrange

from healthbridge import language
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.interop.isoweek import week_of
from healthbridge.policy import Principal, Role
from healthbridge.web import situation as room
from healthbridge.web.situation_pages import map_shapes

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


@pytest.fixture
def arranged(session_factory: sessionmaker[Session]) -> Arranged:
    return arrange(session_factory)


def _principal(user: User) -> Principal:
    return Principal(
        email=user.email, role=Role(user.role), country=user.country_code, user_id=user.id
    )


def test_a_country_user_and_a_regional_user_see_different_figures(
    arranged: Arranged, make_user: MakeUser, session: Session
) -> None:
    thai = _principal(make_user(Role.EPIDEMIOLOGIST, "THA"))
    regional = _principal(make_user(Role.SECRETARIAT, None))

    mine = room.situation_of(session=session, actor=thai, today=TODAY)
    theirs = room.situation_of(session=session, actor=regional, today=TODAY)

    assert mine.countries is not None and theirs.countries is not None
    thai_map = {c.code: c for c in mine.countries}
    regional_map = {c.code: c for c in theirs.countries}
    assert [c.code for c in mine.countries] == list(room.MAP_COUNTRIES)
    # Thailand: its own open events (the closed one does not count); the Lao event shared
    # with it by name; Cambodia's shared event. Never Viet Nam's unshared one.
    assert (thai_map["THA"].risk, thai_map["THA"].open_events) == ("high", 2)
    assert (thai_map["LAO"].risk, thai_map["LAO"].open_events) == ("unassessed", 1)
    assert thai_map["KHM"].risk == "moderate"
    assert (thai_map["VNM"].risk, thai_map["VNM"].open_events) == (None, 0)
    assert mine.open_events == 4
    assert mine.events_by_risk == {
        "very_high": 0,
        "high": 1,
        "moderate": 1,
        "low": 1,
        "very_low": 0,
        "unassessed": 1,
    }
    # The regional user sees only what was shared with the region.
    assert theirs.open_events == 1
    assert {c for c, s in regional_map.items() if s.risk} == {"KHM"}
    assert theirs.events_by_risk is not None and theirs.events_by_risk["very_high"] == 0
    # Signals are regional: the same for both; discarded and old ones do not count.
    assert thai_map["VNM"].open_signals == regional_map["VNM"].open_signals == 2
    assert thai_map["THA"].open_signals == 1
    assert mine.open_signals == theirs.open_signals == 3
    # Data sovereignty: Thai case counts for the Thai epidemiologist, none for the region.
    assert mine.cases is not None
    assert (mine.cases.country, mine.cases.this_week, mine.cases.last_four_weeks) == (
        "THA",
        1,
        2,
    )
    assert theirs.cases is None
    # Timeliness of the last quarter, over the events each sees (both see Cambodia's).
    assert [(t.country, t.events) for t in theirs.timeliness or []] == [("KHM", 1)]
    assert theirs.timeliness and theirs.timeliness[0].detection_met == 1
    # Requests and commitments are the same for everyone.
    assert [r.id for r in mine.critical_requests or []] == [arranged.critical_request]
    assert theirs.critical_requests_total == 1
    assert (mine.overdue_commitments, mine.due_commitments) == (1, 1)
    assert [c.text for c in mine.commitments or []] == [
        "Send the lab experts",
        "Share the vaccine plan",
    ]
    titles = {e.title for e in mine.latest_events or []}
    assert "Unshared Vietnamese event" not in titles and "Thai dengue surge" in titles


def test_case_figures_need_a_case_reader(
    arranged: Arranged, make_user: MakeUser, session: Session
) -> None:
    viewer = _principal(make_user(Role.VIEWER, "THA"))
    officer = _principal(make_user(Role.EOC_OFFICER, "VNM"))

    assert room.situation_of(session=session, actor=viewer, today=TODAY).cases is None
    viet = room.situation_of(session=session, actor=officer, today=TODAY).cases
    assert viet is not None and (viet.country, viet.this_week) == ("VNM", 1)


def test_only_the_panels_asked_for_are_read(
    arranged: Arranged, make_user: MakeUser, session: Session
) -> None:
    regional = _principal(make_user(Role.SECRETARIAT, None))
    only = room.situation_of(session=session, actor=regional, today=TODAY, panels=("requests",))
    assert only.critical_requests_total == 1 and only.panels == ["requests"]
    assert only.countries is None and only.timeliness is None and only.commitments is None


def test_previous_quarter() -> None:
    assert room.previous_quarter(dt.date(2026, 11, 26)) == (
        "2026-Q3",
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert room.previous_quarter(dt.date(2026, 1, 1)) == (
        "2025-Q4",
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )


def test_the_api_gives_the_same_figures(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    thai = client.get("/api/v1/situation", headers=login(make_user(Role.FOCAL_POINT, "THA")))
    regional = client.get("/api/v1/situation", headers=login(make_user(Role.VIEWER, None)))
    assert thai.status_code == regional.status_code == 200
    mine, theirs = thai.json(), regional.json()
    assert mine["cases"] == {
        "country": "THA",
        "this_week": 1,
        "last_four_weeks": 2,
        "since": str(week_of(TODAY).plus(-3).monday),
    }
    assert theirs["cases"] is None
    assert mine["open_events"] == 4 and theirs["open_events"] == 1
    risks = {c["code"]: c["risk"] for c in mine["countries"]}
    assert risks["VNM"] is None and risks["THA"] == "high"
    assert client.get("/api/v1/situation").status_code == 401


def test_the_home_page_is_the_situation_room(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    thai = login(make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk"))
    page = client.get("/", headers=thai)
    assert page.status_code == 200
    html = page.text
    assert "<title>Home · HealthBridge</title>" in html
    assert "Welcome, Nattaya Srisuk" in html
    assert len(re.findall(r"<path d=\"M", html)) == 14
    assert 'data-country="THA" data-risk="high"' in html
    assert 'data-country="VNM" data-risk="none"' in html
    # Signal markers: Viet Nam's two and Thailand's one, none where there is none.
    assert re.search(r'data-signals="VNM"><circle [^>]*></circle><text [^>]*>2</text>', html)
    assert 'data-signals="THA"' in html and 'data-signals="KHM"' not in html
    assert "Unshared Vietnamese event" not in html
    assert 'data-testid="cases-this-week">1<' in html
    for panel in room.PANELS:
        assert f'hx-get="/situation/panels/{panel}"' in html
    assert html.count('hx-trigger="every 60s"') == len(room.PANELS)
    for link in (
        'href="/eoc"',
        'href="/surveillance/signals"',
        'href="/eoc/timeliness"',
        'href="/resources/requests?priority=critical"',
        'href="/commitments"',
        f'href="/eoc/events/{arranged.thai_events[0]}"',
    ):
        assert link in html
    assert 'aria-label="Modules"' in html and "What you can browse" in html

    regional = client.get("/", headers=login(make_user(Role.REGIONAL_ADMIN, None))).text
    assert 'data-testid="cases-this-week"' not in regional
    assert 'data-testid="no-case-figures"' in regional
    assert 'data-country="THA" data-risk="none"' in regional


def test_the_wall_mode_drops_the_navigation(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    headers = login(make_user(Role.EOC_OFFICER, None))
    html = client.get("/situation?wall=1", headers=headers).text
    assert '<body class="situation-wall"' in html
    assert 'aria-label="Modules"' not in html
    assert "Regional situation room" in html
    assert 'hx-get="/situation/panels/map?wall=1"' in html
    plain = client.get("/situation", headers=headers).text
    assert "<title>Situation room · HealthBridge</title>" in plain
    assert "situation-wall" not in plain and 'aria-label="Modules"' in plain


def test_panels_render_without_the_layout(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    thai = login(make_user(Role.EPIDEMIOLOGIST, "THA"))
    regional = login(make_user(Role.SECRETARIAT, None))
    for panel in room.PANELS:
        fragment = client.get(f"/situation/panels/{panel}", headers=thai)
        assert fragment.status_code == 200, panel
        text = fragment.text.strip()
        assert text.startswith(f'<section id="panel-{panel}"'), panel
        assert "<html" not in text and "<nav" not in text and 'hx-trigger="every 60s"' in text
    cases = client.get("/situation/panels/cases", headers=thai).text
    assert 'data-testid="cases-four-weeks">2<' in cases
    assert 'data-testid="cases-' not in client.get("/situation/panels/cases", headers=regional).text
    events = client.get("/situation/panels/events", headers=regional).text
    assert 'data-testid="open-events">1<' in events
    unknown = client.get("/situation/panels/nothing", headers=thai)
    assert unknown.status_code == 404
    assert client.get("/situation/panels/map").status_code in (303, 401)


def test_case_figures_on_the_home_page_are_counts_not_audited_record_reads(
    client: TestClient,
    arranged: Arranged,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    def listed() -> int:
        with session_factory() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(
                        AuditEntry.action == "case_report.list", AuditEntry.country_code == "THA"
                    )
                )
                or 0
            )

    before = listed()
    # Counts every minute would flood the audit log; no record leaves the count query.
    thai = client.get("/situation/panels/cases", headers=login(make_user(Role.FOCAL_POINT, "THA")))
    assert 'data-testid="cases-' in thai.text
    assert listed() == before
    client.get("/situation/panels/cases", headers=login(make_user(Role.SECRETARIAT, None)))
    assert listed() == before


def test_the_vendored_map_has_the_fourteen_countries() -> None:
    shapes = map_shapes()
    assert set(shapes["countries"]) == set(room.MAP_COUNTRIES)
    assert re.fullmatch(r"0 0 1000 \d+(\.\d)?", shapes["viewBox"])
    for code, path in shapes["countries"].items():
        assert path.startswith("M") and path.endswith("Z"), code
    width, height = (float(v) for v in shapes["viewBox"].split()[2:])
    assert set(shapes["centres"]) == set(room.MAP_COUNTRIES)
    for code, (x, y) in shapes["centres"].items():
        assert 0 <= x <= width and 0 <= y <= height, code


def test_a_situation_is_shared_by_users_who_see_the_same_for_its_max_age(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[tuple[Role, str | None, tuple[str, ...]]] = []

    def compute(*, session: Any, actor: Principal, panels: tuple[str, ...], today: Any) -> Any:
        computed.append((actor.role, actor.country, panels))
        return object()

    monkeypatch.setattr(room, "situation_of", compute)
    clock = [1000.0]
    monkeypatch.setattr(room.time, "monotonic", lambda: clock[0])
    shared = room.SharedSituations(max_age=15)
    thai = Principal(email="a@moh.go.th", role=Role.EOC_OFFICER, country="THA")
    other_thai = Principal(email="b@moh.go.th", role=Role.EOC_OFFICER, country="THA")
    lao = Principal(email="c@moh.gov.la", role=Role.EOC_OFFICER, country="LAO")
    viewer = Principal(email="d@moh.go.th", role=Role.VIEWER, country="THA")
    first = shared.get(session=None, actor=thai)  # type: ignore[arg-type]
    # Another officer of the same country sees what the first saw, without a second computation;
    # another country, another role, one panel or another language are computed apart.
    assert shared.get(session=None, actor=other_thai) is first  # type: ignore[arg-type]
    shared.get(session=None, actor=lao)  # type: ignore[arg-type]
    shared.get(session=None, actor=viewer)  # type: ignore[arg-type]
    shared.get(session=None, actor=thai, panels=("events",))  # type: ignore[arg-type]
    with language.using("ko"):
        assert shared.get(session=None, actor=thai) is not first  # type: ignore[arg-type]
    assert len(computed) == 5
    clock[0] += 16  # older than max_age: computed again
    assert shared.get(session=None, actor=thai) is not first  # type: ignore[arg-type]
    assert len(computed) == 6
    fresh = room.SharedSituations(max_age=0)
    fresh.get(session=None, actor=thai)  # type: ignore[arg-type]
    fresh.get(session=None, actor=thai)  # type: ignore[arg-type]
    assert len(computed) == 8
