"""Agendas of meetings: items added at a position, moved, and given their outcome."""

from __future__ import annotations

from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.cooperation.meetings import service
from healthbridge.cooperation.meetings.models import AgendaItem
from healthbridge.cooperation.meetings.schemas import AgendaItemCreate, AgendaItemUpdate
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.policy import Action, Principal, authorize


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, 1):
        item.position = position


def add_agenda_item(
    *, session: Session, actor: Principal, meeting_id: int, item_in: AgendaItemCreate
) -> AgendaItem:
    """Add an item to a meeting's agenda, at the end or at ``position`` (later items move down)."""
    authorize(actor, Action.MEETING_WRITE, object_type="meeting", object_id=str(meeting_id))
    meeting = service.get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    items = list(meeting.agenda)
    position = min(item_in.position or len(items) + 1, len(items) + 1)
    item = service.agenda_row(item_in, position)
    items.insert(position - 1, item)
    _renumber(items)
    meeting.agenda = items
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="meeting.agenda.add",
        object_type="agenda_item",
        object_id=item.id,
        country=meeting.country_code,
        detail={"meeting_id": meeting.id, "position": item.position, "title": item.title},
    )
    return item


def update_agenda_item(
    *,
    session: Session,
    actor: Principal,
    meeting_id: int,
    item_id: int,
    changes: AgendaItemUpdate,
) -> AgendaItem:
    """Change an agenda item (its outcome, typically) or move it to another position."""
    authorize(actor, Action.MEETING_WRITE, object_type="agenda_item", object_id=str(item_id))
    meeting = service.get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    items = list(meeting.agenda)
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"meeting {meeting_id} has no agenda item {item_id}")
    given = changes.model_fields_set
    if "title" in given:
        if changes.title is None:
            raise Invalid("an agenda item needs a title", errors=[FieldError("title", "required")])
        item.title = changes.title.strip()
    if "presenter" in given:
        item.presenter = service.clean(changes.presenter)
    if "outcome" in given:
        item.outcome = service.clean(changes.outcome)
    if changes.position is not None:
        items.remove(item)
        items.insert(min(changes.position, len(items) + 1) - 1, item)
        _renumber(items)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="meeting.agenda.update",
        object_type="agenda_item",
        object_id=item.id,
        country=meeting.country_code,
        detail={"meeting_id": meeting.id, "fields": sorted(given)},
    )
    return item
