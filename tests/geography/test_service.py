"""The geography service's helpers for pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from healthbridge.geography import service as geography
from healthbridge.policy import Principal, Role


def test_country_names_label_every_country_in_name_order(session: Session) -> None:
    viewer = Principal(email="v@tha", role=Role.VIEWER, country="THA")
    names = geography.country_names(session=session, actor=viewer)
    assert len(names) == 14
    assert "Korea" in names["KOR"]
    assert names["VNM"] and names["THA"] == "Thailand"
    assert list(names.values()) == sorted(names.values())
