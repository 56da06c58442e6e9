"""The new-meeting form of the web pages: what was typed, turned into a :class:`MeetingCreate`,
and the errors to show next to each field."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from healthbridge.cooperation.meetings.schemas import MeetingCreate
from healthbridge.errors import HealthBridgeError
from healthbridge.marks import N_

MEETING_TYPE_LABELS = {
    "summit": N_("Summit"),
    "asean_rok_hmm": N_("ASEAN–ROK Health Ministers' Meeting"),
    "apt_hmm": N_("ASEAN Plus Three Health Ministers' Meeting"),
    "senior_officials": N_("Senior officials' meeting"),
    "bilateral": N_("Bilateral talks"),
    "working_group": N_("Working group"),
    "other_event": N_("Other event"),
}
STATUS_LABELS = {"planned": N_("Planned"), "held": N_("Held"), "cancelled": N_("Cancelled")}
DOCUMENT_KIND_LABELS = {
    "joint_statement": N_("Joint statement"),
    "minutes": N_("Minutes"),
    "presentation": N_("Presentation"),
    "report": N_("Report"),
    "other": N_("Other"),
}
#: Form fields, in the order their errors are listed.
FIELDS = (
    "title",
    "meeting_type",
    "series",
    "status",
    "starts_on",
    "ends_on",
    "city",
    "country_code",
    "theme",
    "co_chairs",
    "agenda",
)


@dataclass
class MeetingForm:
    """The new-meeting form as typed (every value a string, re-shown when invalid)."""

    title: str = ""
    meeting_type: str = ""
    series: str = ""
    status: str = "planned"
    starts_on: str = ""
    ends_on: str = ""
    city: str = ""
    country_code: str = ""
    theme: str = ""
    co_chairs: list[str] = field(default_factory=list)
    agenda: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def agenda_lines(self) -> list[str]:
        """One agenda item per non-empty line."""
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]

    def to_create(self) -> MeetingCreate | None:
        """The meeting to create, or ``None`` with :attr:`errors` filled in."""
        data = {
            "title": self.title,
            "meeting_type": self.meeting_type,
            "series": self.series.strip() or None,
            "status": self.status or "planned",
            "starts_on": self.starts_on or None,
            "ends_on": self.ends_on or None,
            "city": self.city.strip() or None,
            "country_code": self.country_code,
            "theme": self.theme.strip() or None,
            "co_chairs": [{"country_code": code} for code in self.co_chairs if code],
            "agenda": [{"title": line} for line in self.agenda_lines()],
        }
        try:
            return MeetingCreate.model_validate(data)
        except ValidationError as invalid:
            for error in invalid.errors():
                location = [str(part) for part in error.get("loc", ())]
                name = location[0] if location else "title"
                if name == "agenda" and len(location) > 1:
                    message = f"line {int(location[1]) + 1}: {error['msg']}"
                else:
                    message = str(error["msg"])
                self.errors.setdefault(name, message)
            return None

    def absorb(self, refused: HealthBridgeError) -> None:
        """Show a service's refusal next to the fields it names."""
        for error in refused.errors:
            name = error.field.split(".", 1)[0].split("[", 1)[0]
            self.errors.setdefault(name if name in FIELDS else "title", error.message)
        if not refused.errors:
            self.errors.setdefault("title", refused.detail)
