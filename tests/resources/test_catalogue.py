"""The catalogue service: items made, changed, deactivated and listed with filters; holders;
transit times set and kept; teams of a holder managed like its stock; every field named on bad
input, and changes audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.resources import catalogue

REGIONAL = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)
THAI = Principal(email="log@tha", role=Role.LOGISTICS_OFFICER, country="THA")
VIEWER = Principal(email="viewer@vnm", role=Role.VIEWER, country="VNM")

ORS = catalogue.ItemInput(
    "ors-sachet", "Oral rehydration salts", "medicine", "sachet", "A07CA", True, 1, "none", 90
)
VACCINE = catalogue.ItemInput(
    "mr-vaccine", "MR vaccine", "vaccine", "vial", "J07BD53", True, 50, "2_8c", 180
)


def _fields(refused: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [e.field for e in refused.value.errors]


def test_items_are_made_changed_deactivated_and_listed(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        catalogue.create_item(session=session, actor=REGIONAL, new=ORS)
        catalogue.create_item(session=session, actor=REGIONAL, new=VACCINE)
        catalogue.create_item(
            session=session,
            actor=REGIONAL,
            new=catalogue.ItemInput("n95", "N95 respirator", "ppe", "piece", " "),
        )
    with unit_of_work(session_factory) as session:
        n95 = catalogue.get_item(session=session, actor=VIEWER, code="n95")
        assert n95.atc_code is None and n95.pack_size == 1 and n95.cold_chain == "none"
        with pytest.raises(Conflict):
            catalogue.create_item(session=session, actor=REGIONAL, new=ORS)
        with pytest.raises(Invalid) as bad:
            catalogue.create_item(
                session=session,
                actor=REGIONAL,
                new=catalogue.ItemInput("ORS Sachet", "", "drug", "", "7A", True, 0, "cold", -1),
            )
        assert _fields(bad) == [
            "code",
            "name",
            "kind",
            "atc_code",
            "unit_of_issue",
            "pack_size",
            "cold_chain",
            "min_shelf_life_days",
        ]
        # Countries do not change the region's catalogue; nor do viewers.
        for actor in (THAI, VIEWER):
            with pytest.raises(Forbidden):
                catalogue.create_item(
                    session=session, actor=actor, new=catalogue.ItemInput("x", "X", "other", "u")
                )
        changed = catalogue.update_item(
            session=session,
            actor=REGIONAL,
            code="ors-sachet",
            changes={"pack_size": 100, "min_shelf_life_days": 120},
        )
        assert changed.pack_size == 100 and changed.code == "ors-sachet"
        with pytest.raises(Invalid) as bad_change:
            catalogue.update_item(
                session=session, actor=REGIONAL, code="ors-sachet", changes={"pack_size": 0}
            )
        assert _fields(bad_change) == ["pack_size"]
        with pytest.raises(NotFound):
            catalogue.update_item(session=session, actor=REGIONAL, code="nope", changes={})
        catalogue.deactivate_item(session=session, actor=REGIONAL, code="n95")

    with session_factory() as session:
        list_ = catalogue.list_items
        page = PageRequest()
        codes = lambda **kw: [  # noqa: E731
            i.code
            for i in list_(
                session=session, actor=VIEWER, values=catalogue.ItemFilter(**kw), page=page
            )[0]
        ]
        assert codes() == ["mr-vaccine", "ors-sachet"]
        assert codes(include_inactive=True) == ["mr-vaccine", "n95", "ors-sachet"]
        assert codes(kind="vaccine") == ["mr-vaccine"]
        assert codes(cold_chain="2_8c") == ["mr-vaccine"]
        assert codes(q="rehydration") == ["ors-sachet"]
        assert codes(q="j07") == ["mr-vaccine"]
        assert codes(q="%") == []
        with pytest.raises(Invalid) as bad_filter:
            codes(kind="drug", cold_chain="hot")
        assert _fields(bad_filter) == ["kind", "cold_chain"]
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("item.%")))
        )
        assert actions == ["item.create"] * 3 + ["item.update", "item.update"]
        ors = catalogue.get_item(session=session, actor=VIEWER, code="ors-sachet")
        assert ors.min_shelf_life_days == 120 and ors.who_eml is True


def test_holders_and_transit_times(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        catalogue.create_holder(
            session=session,
            actor=REGIONAL,
            new=catalogue.HolderInput("THA-NAT", "Thai stockpile", "national_stockpile", "tha"),
        )
        catalogue.create_holder(
            session=session,
            actor=REGIONAL,
            new=catalogue.HolderInput(
                "WHO-HUB", "WHO hub", "partner", "SGP", organisation="WHO", location="Changi"
            ),
        )
        with pytest.raises(Invalid) as bad:
            catalogue.create_holder(
                session=session,
                actor=REGIONAL,
                new=catalogue.HolderInput("tha nat", "", "depot", "XXX", organisation="NOPE"),
            )
        assert _fields(bad) == ["code", "name", "kind", "country", "organisation"]
        with pytest.raises(Conflict):
            catalogue.create_holder(
                session=session,
                actor=REGIONAL,
                new=catalogue.HolderInput("THA-NAT", "Again", "national_stockpile", "THA"),
            )
        with pytest.raises(Forbidden):
            catalogue.create_holder(
                session=session,
                actor=THAI,
                new=catalogue.HolderInput("THA-2", "Thai 2", "national_stockpile", "THA"),
            )
        assert catalogue.set_transit_times(
            session=session,
            actor=REGIONAL,
            entries=[("THA", "LAO", 2), ("LAO", "THA", 2), ("THA", "THA", 0)],
        ) == (3, 0)
        with pytest.raises(Invalid) as bad_times:
            catalogue.set_transit_times(
                session=session,
                actor=REGIONAL,
                entries=[("THA", "XXX", 2), ("THA", "LAO", -1), ("THA", "LAO", 3)],
            )
        assert _fields(bad_times) == [
            "entries[0].destination",
            "entries[1].days",
            "entries[2]",
        ]
        with pytest.raises(Forbidden):
            catalogue.set_transit_times(session=session, actor=THAI, entries=[])
    with unit_of_work(session_factory) as session:
        assert catalogue.set_transit_times(
            session=session, actor=REGIONAL, entries=[("THA", "LAO", 3), ("LAO", "THA", 2)]
        ) == (0, 1)
        holders, total = catalogue.list_holders(
            session=session, actor=VIEWER, page=PageRequest(), kind="partner"
        )
        assert total == 1 and holders[0].organisation_code == "WHO"
        assert holders[0].location == "Changi"
        times = catalogue.list_transit_times(session=session, actor=VIEWER, origin="tha")
        assert [(t.destination_code, t.days) for t in times] == [("LAO", 3), ("THA", 0)]


def test_teams_are_managed_like_their_holders_stock(
    session_factory: sessionmaker[Session],
) -> None:
    start = dt.date(2026, 12, 1)
    with unit_of_work(session_factory) as session:
        catalogue.create_holder(
            session=session,
            actor=REGIONAL,
            new=catalogue.HolderInput("THA-NAT", "Thai stockpile", "national_stockpile", "THA"),
        )
        catalogue.create_holder(
            session=session,
            actor=REGIONAL,
            new=catalogue.HolderInput("ARRMS-THA", "Reserve", "regional_reserve", "THA"),
        )
        team = catalogue.create_team(
            session=session,
            actor=THAI,
            new=catalogue.TeamInput(
                "tha-fetp",
                "Thai FETP",
                "THA-NAT",
                "field_epidemiologist",
                4,
                start,
                skills=("Outbreak_investigation", "outbreak_investigation"),
                languages=("en", "TH"),
            ),
        )
        assert team.code == "THA-FETP"
        assert team.skills == ["outbreak_investigation"] and team.languages == ["en", "th"]
        # A Thai officer does not register the regional reserve's teams, nor Viet Nam's viewer.
        with pytest.raises(Forbidden):
            catalogue.create_team(
                session=session,
                actor=THAI,
                new=catalogue.TeamInput("R1", "R", "ARRMS-THA", "emt_type_2", 3, start),
            )
        with pytest.raises(Invalid) as bad:
            catalogue.create_team(
                session=session,
                actor=REGIONAL,
                new=catalogue.TeamInput(
                    "bad code!",
                    "",
                    "ARRMS-THA",
                    "surgeons",
                    0,
                    start,
                    start - dt.timedelta(days=1),
                    ("ok", "no spaces"),
                    ("english",),
                ),
            )
        assert _fields(bad) == [
            "code",
            "name",
            "team_type",
            "members",
            "skills",
            "languages",
            "available_until",
        ]
        with pytest.raises(Invalid) as unknown:
            catalogue.create_team(
                session=session,
                actor=REGIONAL,
                new=catalogue.TeamInput("X", "X", "NOWHERE", "emt_type_2", 3, start),
            )
        assert _fields(unknown) == ["holder"]
        team_id = team.id
    with unit_of_work(session_factory) as session:
        changed = catalogue.update_team(
            session=session,
            actor=REGIONAL,
            team_id=team_id,
            changes={"members": 6, "available_until": start + dt.timedelta(days=30)},
        )
        assert changed.members == 6
        with pytest.raises(Invalid) as bad_change:
            catalogue.update_team(
                session=session,
                actor=THAI,
                team_id=team_id,
                changes={"available_from": start + dt.timedelta(days=60)},
            )
        assert _fields(bad_change) == ["available_until"]
        with pytest.raises(Forbidden):
            catalogue.update_team(
                session=session,
                actor=Principal(email="l@vnm", role=Role.LOGISTICS_OFFICER, country="VNM"),
                team_id=team_id,
                changes={"members": 1},
            )
        teams, total = catalogue.list_teams(
            session=session, actor=VIEWER, page=PageRequest(), team_type="field_epidemiologist"
        )
        assert total == 1 and teams[0].members == 6
