"""Building meetings in tests: a valid API body, a series, and loading rows back."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.cooperation.meetings.schemas import SeriesCreate


def meeting_body(**overrides: Any) -> dict[str, Any]:
    """A valid meeting as the API takes it."""
    body: dict[str, Any] = {
        "title": "Senior officials' meeting on health",
        "meeting_type": "senior_officials",
        "starts_on": "2025-03-10",
        "ends_on": "2025-03-11",
        "city": "Bangkok",
        "country_code": "THA",
        "theme": "Preparing the ministers' meeting",
        "co_chairs": [{"country_code": "THA"}, {"organisation_code": "ASEC"}],
        "participants": [
            {"country_code": "THA", "role": "member"},
            {"country_code": "KOR", "role": "member"},
            {"organisation_code": "WHO", "role": "observer"},
        ],
        "delegates": [
            {"full_name": "Somchai Wongsakul", "title": "Director", "country_code": "THA"}
        ],
        "agenda": [
            {"title": "Opening", "presenter": "Thailand"},
            {"title": "Draft joint statement", "outcome": "Agreed ad referendum"},
        ],
    }
    body.update(overrides)
    return body


def simple_series(code: str = "TEST-SERIES", **overrides: Any) -> SeriesCreate:
    return SeriesCreate.model_validate(
        {
            "code": code,
            "name": "Test meeting",
            "meeting_type": "working_group",
            "rhythm_months": 12,
            "rotation_rule": "asean_alphabetical",
            **overrides,
        }
    )


def load(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    return meeting
