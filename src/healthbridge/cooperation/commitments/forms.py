"""What the pages' forms send, turned into this part's input models (and errors into messages)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments.models import (
    CommitmentKind,
    CommitmentStatus,
    EvidenceKind,
)
from healthbridge.cooperation.commitments.schemas import (
    CommitmentCreate,
    EvidenceCreate,
    StatusChangeCreate,
)
from healthbridge.errors import FieldError, HealthBridgeError, Invalid
from healthbridge.geography import service as geography
from healthbridge.language import localized
from healthbridge.marks import N_
from healthbridge.organisations import service as organisations
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Principal

E = TypeVar("E", bound=StrEnum)

COUNTRY = "country"
ORGANISATION = "organisation"

#: What the pages call each status, kind and kind of evidence (translated where shown).
STATUS_LABELS: dict[str, str] = {
    CommitmentStatus.PROPOSED: N_("Proposed"),
    CommitmentStatus.AGREED: N_("Agreed"),
    CommitmentStatus.IN_PROGRESS: N_("In progress"),
    CommitmentStatus.DELIVERED: N_("Delivered"),
    CommitmentStatus.DROPPED: N_("Dropped"),
}
KIND_LABELS: dict[str, str] = {
    CommitmentKind.AGREEMENT: N_("Agreement"),
    CommitmentKind.REQUEST: N_("Request"),
    CommitmentKind.PLEDGE: N_("Pledge"),
    CommitmentKind.FOLLOW_UP: N_("Follow-up"),
}
EVIDENCE_KIND_LABELS: dict[str, str] = {
    EvidenceKind.DOCUMENT: N_("Document"),
    EvidenceKind.LINK: N_("Link"),
    EvidenceKind.PROJECT: N_("Project"),
    EvidenceKind.DELIVERY: N_("Delivery"),
}
#: The sentence that confirms a status change, by the new status.
SAVED_MESSAGES: dict[str, str] = {
    CommitmentStatus.PROPOSED: N_("Saved: the commitment is proposed."),
    CommitmentStatus.AGREED: N_("Saved: the commitment is agreed."),
    CommitmentStatus.IN_PROGRESS: N_("Saved: the commitment is in progress."),
    CommitmentStatus.DELIVERED: N_("Saved: the commitment is delivered."),
    CommitmentStatus.DROPPED: N_("Saved: the commitment is dropped."),
}


@dataclass(frozen=True)
class PartyGroup:
    """Countries or organisations, as the options of a select (``label`` is marked for
    translation; country names are in the current language)."""

    label: str
    kind: str
    parties: list[tuple[str, str]]


def party_choices(
    *, session: Session, actor: Principal, own_only: bool = False
) -> list[PartyGroup]:
    """Who may owe or be owed a commitment; ``own_only``: just the actor's own country."""
    everything = PageRequest(limit=MAX_LIMIT)
    countries = [
        (c.code, localized(c.names, c.name_en))
        for c in geography.list_countries(session=session, actor=actor, page=everything)[0]
        if not own_only or c.code == actor.country
    ]
    groups = [PartyGroup(N_("Countries"), COUNTRY, countries)]
    if not own_only:
        orgs = organisations.list_organisations(session=session, actor=actor, page=everything)[0]
        groups.append(
            PartyGroup(
                N_("Organisations"),
                ORGANISATION,
                [(o.code, f"{o.name_en} ({o.acronym})" if o.acronym else o.name_en) for o in orgs],
            )
        )
    return groups


def enum_or_none(enum: type[E], value: str, field: str) -> E | None:
    """The member of ``enum`` a query parameter names, ``None`` when empty."""
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        raise Invalid(
            f"unknown {field} '{value}'",
            errors=[FieldError(field, f"one of: {', '.join(m.value for m in enum)}")],
        ) from None


def year_or_none(value: str) -> int | None:
    """A year given in a query parameter, ``None`` when empty."""
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(f"'{value}' is not a year", errors=[FieldError("year", "a year, e.g. 2024")])
    return int(value)


def _party(value: str, field: str) -> tuple[str | None, str | None]:
    """``country:THA`` or ``organisation:WHO`` as ``(country, organisation)``; empty: neither."""
    if not value:
        return None, None
    kind, _, code = value.partition(":")
    if kind == COUNTRY and code:
        return code, None
    if kind == ORGANISATION and code:
        return None, code
    raise Invalid(f"cannot read '{value}'", errors=[FieldError(field, "choose from the list")])


def _int_or_none(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(f"'{value}' is not an id", errors=[FieldError(field, "a number")])
    return int(value)


def commitment_create(meeting_id: int, values: dict[str, str]) -> CommitmentCreate:
    """The commitment the meeting fragment's form describes."""
    owed_by_country, owed_by_organisation = _party(values["owed_by"], "owed_by")
    owed_to_country, owed_to_organisation = _party(values["owed_to"], "owed_to")
    data: dict[str, Any] = {
        "text": values["text"],
        "kind": values["kind"],
        "meeting_id": meeting_id,
        "owed_by_country": owed_by_country,
        "owed_by_organisation": owed_by_organisation,
        "owed_to_country": owed_to_country,
        "owed_to_organisation": owed_to_organisation,
        "due_on": values["due_on"] or None,
    }
    return CommitmentCreate.model_validate(data)


def _evidence(values: dict[str, str]) -> EvidenceCreate | None:
    fields = {
        EvidenceKind.LINK: values["evidence_url"].strip(),
        EvidenceKind.DOCUMENT: values["evidence_document_id"].strip(),
        EvidenceKind.PROJECT: values["evidence_project_id"].strip(),
        EvidenceKind.DELIVERY: values["evidence_reference"].strip(),
    }
    kind_value = values["evidence_kind"]
    if not kind_value:
        filled = [kind for kind, value in fields.items() if value]
        if not filled:
            return None
        if len(filled) > 1:
            raise Invalid(
                "choose one kind of evidence",
                errors=[FieldError("evidence_kind", "say which of the filled fields is evidence")],
            )
        kind_value = filled[0].value
    try:
        kind = EvidenceKind(kind_value)
    except ValueError:
        raise Invalid(
            f"unknown evidence kind '{kind_value}'",
            errors=[FieldError("evidence_kind", "choose from the list")],
        ) from None
    return EvidenceCreate(
        kind=kind,
        url=fields[EvidenceKind.LINK] if kind is EvidenceKind.LINK else None,
        document_id=_int_or_none(fields[EvidenceKind.DOCUMENT], "evidence_document_id")
        if kind is EvidenceKind.DOCUMENT
        else None,
        project_id=_int_or_none(fields[EvidenceKind.PROJECT], "evidence_project_id")
        if kind is EvidenceKind.PROJECT
        else None,
        reference=fields[EvidenceKind.DELIVERY] if kind is EvidenceKind.DELIVERY else None,
    )


def status_change(values: dict[str, str]) -> StatusChangeCreate:
    """The status change the commitment page's form describes."""
    if not values["status"]:
        raise Invalid("choose the new status", errors=[FieldError("status", "required")])
    data: dict[str, Any] = {
        "status": values["status"],
        "note": values["note"] or None,
        "delivered_on": values["delivered_on"] or None,
        "evidence": _evidence(values),
    }
    return StatusChangeCreate.model_validate(data)


#: Form fields by the name the services give them.
_FORM_FIELDS = {
    "evidence": "evidence_kind",
    "evidence.url": "evidence_url",
    "evidence.document_id": "evidence_document_id",
    "evidence.project_id": "evidence_project_id",
    "evidence.reference": "evidence_reference",
    "evidence.kind": "evidence_kind",
    "owed_by_country": "owed_by",
    "owed_by_organisation": "owed_by",
    "owed_to_country": "owed_to",
    "owed_to_organisation": "owed_to",
}


def messages(refused: HealthBridgeError | ValidationError) -> list[FieldError]:
    """What was wrong, by form field, for the page to show next to the form."""
    if isinstance(refused, ValidationError):
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "form", e["msg"])
            for e in refused.errors()
        ]
    else:
        errors = [FieldError("form", refused.detail), *refused.errors]
    seen: set[tuple[str, str]] = set()
    out: list[FieldError] = []
    for error in errors:
        field = _FORM_FIELDS.get(error.field, error.field)
        if (field, error.message) not in seen:
            seen.add((field, error.message))
            out.append(FieldError(field, error.message))
    return out
