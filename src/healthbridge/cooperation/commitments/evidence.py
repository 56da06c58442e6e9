"""Evidence of delivery: what each kind needs, checked before anything is stored."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments.models import CommitmentEvidence, EvidenceKind
from healthbridge.cooperation.commitments.schemas import EvidenceCreate
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.projects import service as projects
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Invalid
from healthbridge.policy import Principal

#: The one field each kind of evidence needs (and no other kind may carry).
NEEDS: dict[EvidenceKind, str] = {
    EvidenceKind.DOCUMENT: "document_id",
    EvidenceKind.LINK: "url",
    EvidenceKind.PROJECT: "project_id",
    EvidenceKind.DELIVERY: "reference",
}
WHAT: dict[EvidenceKind, str] = {
    EvidenceKind.DOCUMENT: "the id of a meeting document",
    EvidenceKind.LINK: "an http or https address",
    EvidenceKind.PROJECT: "the id of a cooperation project",
    EvidenceKind.DELIVERY: "the reference of the delivery of resources",
}


def web_address_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) address, or ``None`` when it is one."""
    if any(c.isspace() for c in url):
        return "no spaces in an address"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http and https addresses"
    if not parts.hostname:
        return "an address needs a host, e.g. https://example.org/page"
    return None


def build_evidence(
    *, session: Session, actor: Principal, evidence_in: EvidenceCreate, prefix: str = ""
) -> tuple[CommitmentEvidence | None, list[FieldError]]:
    """The evidence row ``evidence_in`` describes (not yet attached), or what is wrong with it.

    Field names in the errors carry ``prefix`` (``evidence.`` when the evidence is part of a
    status change).
    """
    errors: list[FieldError] = []
    kind = evidence_in.kind
    given = {
        "document_id": evidence_in.document_id,
        "url": (evidence_in.url or "").strip() or None,
        "project_id": evidence_in.project_id,
        "reference": (evidence_in.reference or "").strip() or None,
    }
    needed = NEEDS[kind]
    if given[needed] is None:
        errors.append(
            FieldError(prefix + needed, f"evidence of kind {kind.value} needs {WHAT[kind]}")
        )
    for field, value in given.items():
        if field != needed and value is not None:
            errors.append(
                FieldError(prefix + field, f"not for evidence of kind {kind.value} (give {needed})")
            )
    url = given["url"]
    if isinstance(url, str) and kind is EvidenceKind.LINK:
        problem = web_address_problem(url)
        if problem:
            errors.append(FieldError(prefix + "url", problem))
    if errors:
        return None, errors
    try:
        if kind is EvidenceKind.DOCUMENT:
            meetings.require_document(
                session=session, document_id=evidence_in.document_id, field=prefix + "document_id"
            )
        if kind is EvidenceKind.PROJECT:
            projects.require_project(
                session=session, project_id=evidence_in.project_id, field=prefix + "project_id"
            )
    except Invalid as unknown:
        return None, unknown.errors
    evidence = CommitmentEvidence(
        kind=kind.value,
        document_id=evidence_in.document_id if kind is EvidenceKind.DOCUMENT else None,
        url=url if kind is EvidenceKind.LINK else None,
        project_id=evidence_in.project_id if kind is EvidenceKind.PROJECT else None,
        reference=given["reference"] if kind is EvidenceKind.DELIVERY else None,
        note=(evidence_in.note or "").strip() or None,
        added_at=utcnow(),
        added_by=actor.actor_label,
    )
    return evidence, errors
