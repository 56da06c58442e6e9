"""Cooperation projects: the operations other parts rely on come first."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.cooperation.projects.models import (
    ActivityDate,
    Budget,
    Indicator,
    IndicatorPeriod,
    ParticipatingOrg,
    Project,
    ProjectNarrative,
    ProjectSector,
    RecipientCountry,
    Result,
    Transaction,
)
from healthbridge.cooperation.projects.schemas import (
    ProjectCreate,
    ProjectUpdate,
    ResultIn,
    TransactionIn,
)
from healthbridge.cooperation.projects.validation import (
    ReferenceData,
    check_project,
    check_result,
    check_transaction,
    invalid_input,
)
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize


def require_project(
    *, session: Session, project_id: int | None, field: str = "project_id"
) -> Project | None:
    """The project with this id, for input that refers to one; :class:`Invalid` when unknown."""
    if project_id is None:
        return None
    project = session.get(Project, project_id)
    if project is None:
        raise Invalid(
            f"unknown project {project_id}", errors=[FieldError(field, "unknown project")]
        )
    return project


def find_project(*, session: Session, iati_identifier: str) -> Project | None:
    """The project with this IATI identifier (demo data and imports find projects so)."""
    return session.scalars(
        select(Project).where(Project.iati_identifier == iati_identifier)
    ).first()


#: Everything a project shows, loaded in a few queries instead of one per row.
FULL = (
    selectinload(Project.narratives),
    selectinload(Project.participating_orgs),
    selectinload(Project.activity_dates),
    selectinload(Project.recipient_countries),
    selectinload(Project.sectors),
    selectinload(Project.budgets),
    selectinload(Project.transactions),
    selectinload(Project.results).selectinload(Result.indicators).selectinload(Indicator.periods),
)
#: What a portfolio row shows.
SUMMARY = (FULL[0], *FULL[2:7])


def reference_data(*, session: Session, actor: Principal) -> ReferenceData:
    """The countries and organisations projects refer to, read once for an operation."""
    return ReferenceData.load(session=session, actor=actor)


def list_projects(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    status: int | None = None,
    sector: str | None = None,
    country: str | None = None,
    reporting_org: str | None = None,
    q: str | None = None,
) -> tuple[list[Project], int]:
    """The portfolio, filtered by activity status, DAC sector, recipient country (alpha-3),
    reporting organisation or text in the identifier, title or description."""
    authorize(actor, Action.COOPERATION_READ)
    query: Select[Any] = select(Project).options(*SUMMARY)
    if status is not None:
        query = query.where(Project.activity_status == status)
    if sector:
        query = query.where(Project.sectors.any(ProjectSector.code == sector.strip()))
    if country:
        code = country.strip().upper()
        query = query.where(Project.recipient_countries.any(RecipientCountry.country_code == code))
    if reporting_org:
        query = query.where(Project.reporting_org_code == reporting_org.strip().upper())
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Project.iati_identifier.ilike(pattern, escape="\\"),
                Project.narratives.any(ProjectNarrative.text.ilike(pattern, escape="\\")),
            )
        )
    return paginate(
        session,
        query,
        page,
        sortable={
            "identifier": Project.iati_identifier,
            "status": Project.activity_status,
            "updated": Project.updated_at,
            "id": Project.id,
        },
        default_sort="identifier",
    )


def get_project(*, session: Session, actor: Principal, project_id: int) -> Project:
    """One project with everything it holds; :class:`NotFound` when there is none."""
    authorize(actor, Action.COOPERATION_READ)
    project = session.get(Project, project_id, options=FULL)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    return project


def projects_for_export(
    *, session: Session, actor: Principal, identifier: str | None = None
) -> list[Project]:
    """Every project (or the one with ``identifier``), ordered by IATI identifier."""
    authorize(actor, Action.COOPERATION_READ)
    query = select(Project).options(*FULL).order_by(Project.iati_identifier)
    if identifier is not None:
        query = query.where(Project.iati_identifier == identifier)
    projects = list(session.scalars(query))
    if identifier is not None and not projects:
        raise NotFound(f"no project with IATI identifier '{identifier}'")
    return projects


def create_project(*, session: Session, actor: Principal, project_in: ProjectCreate) -> Project:
    """Record a new project; :class:`Invalid` naming every wrong field, :class:`Conflict` when
    the IATI identifier is taken."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project")
    checked = _checked(session=session, actor=actor, project_in=project_in)
    return _insert(session=session, actor=actor, project_in=checked)


def update_project(
    *, session: Session, actor: Principal, project_id: int, changes: ProjectUpdate
) -> Project:
    """Replace the fields ``changes`` names (a list replaces the whole list)."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project", object_id=str(project_id))
    project = get_project(session=session, actor=actor, project_id=project_id)
    given = changes.model_dump(exclude_unset=True)
    nulls = [FieldError(name, "must not be null") for name, value in given.items() if value is None]
    if nulls:
        raise Invalid("a project's fields cannot be emptied with null", errors=nulls)
    merged = {**project_input(project).model_dump(), **given}
    try:
        project_in = ProjectCreate.model_validate(merged)
    except ValidationError as exc:
        raise invalid_input(exc, "invalid project") from None
    checked = _checked(session=session, actor=actor, project_in=project_in)
    _apply(session, project, checked, set(given))
    project.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.update",
        object_type="project",
        object_id=project.id,
        detail={"iati_identifier": project.iati_identifier, "fields": sorted(given)},
    )
    return project


def add_result(
    *, session: Session, actor: Principal, project_id: int, result_in: ResultIn
) -> Result:
    """Add a result (with its indicators and their periods) to a project."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project", object_id=str(project_id))
    project = get_project(session=session, actor=actor, project_id=project_id)
    check_result(reference=reference_data(session=session, actor=actor), result_in=result_in)
    result = _result(result_in)
    project.results.append(result)
    project.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.result.add",
        object_type="project",
        object_id=project.id,
        detail={"result_id": result.id, "indicators": len(result.indicators)},
    )
    return result


def add_transaction(
    *, session: Session, actor: Principal, project_id: int, transaction_in: TransactionIn
) -> Transaction:
    """Record a transaction (a commitment, disbursement, expenditure ...) of a project."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project", object_id=str(project_id))
    project = get_project(session=session, actor=actor, project_id=project_id)
    check_transaction(
        reference=reference_data(session=session, actor=actor), transaction_in=transaction_in
    )
    transaction = _transaction(transaction_in)
    project.transactions.append(transaction)
    project.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.transaction.add",
        object_type="project",
        object_id=project.id,
        detail={
            "transaction_id": transaction.id,
            "type": transaction.type,
            "value": str(transaction.value),
        },
    )
    return transaction


def save_checked(
    *, session: Session, actor: Principal, project_in: ProjectCreate
) -> Literal["created", "updated", "unchanged"]:
    """Store a checked project by its IATI identifier: create it, replace it, or leave it be
    when it is stored exactly so already (what makes imports idempotent)."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project")
    existing = find_project(session=session, iati_identifier=project_in.iati_identifier)
    if existing is None:
        _insert(session=session, actor=actor, project_in=project_in)
        return "created"
    project = get_project(session=session, actor=actor, project_id=existing.id)
    if project_input(project).model_dump() == project_in.model_dump():
        return "unchanged"
    _apply(session, project, project_in, ALL_FIELDS)
    project.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.update",
        object_type="project",
        object_id=project.id,
        detail={"iati_identifier": project.iati_identifier, "fields": ["*"], "via": "import"},
    )
    return "updated"


def project_input(project: Project) -> ProjectCreate:
    """A stored project as the input that would store it so (for comparisons and PATCH)."""
    return ProjectCreate.model_validate(
        {
            "iati_identifier": project.iati_identifier,
            "default_language": project.default_language,
            "default_currency": project.default_currency,
            "reporting_org": {
                "code": project.reporting_org_code,
                "ref": project.reporting_org_ref,
                "type": project.reporting_org_type,
            },
            "title": project.texts("title"),
            "description": project.texts("description"),
            "activity_status": project.activity_status,
            "participating_orgs": [
                {
                    "role": o.role,
                    "ref": o.ref,
                    "type": o.type,
                    "name": o.name,
                    "organisation_code": o.organisation_code,
                }
                for o in project.participating_orgs
            ],
            "activity_dates": [
                {"type": d.type, "iso_date": d.iso_date} for d in project.activity_dates
            ],
            "recipient_countries": [
                {"country": c.country_code, "percentage": c.percentage}
                for c in project.recipient_countries
            ],
            "sectors": [
                {"code": s.code, "vocabulary": s.vocabulary, "percentage": s.percentage}
                for s in project.sectors
            ],
            "budgets": [
                {
                    "type": b.type,
                    "status": b.status,
                    "period_start": b.period_start,
                    "period_end": b.period_end,
                    "value": b.value,
                    "currency": b.currency,
                    "value_date": b.value_date,
                }
                for b in project.budgets
            ],
            "transactions": [_transaction_input(t) for t in project.transactions],
            "results": [_result_input(r) for r in project.results],
        }
    )


def _transaction_input(t: Transaction) -> dict[str, Any]:
    def org(ref: str | None, type_: str | None, name: dict[str, str]) -> dict[str, Any] | None:
        if ref is None and type_ is None and not name:
            return None
        return {"ref": ref, "type": type_, "name": name}

    return {
        "type": t.type,
        "transaction_date": t.transaction_date,
        "value": t.value,
        "currency": t.currency,
        "value_date": t.value_date,
        "description": t.description,
        "provider_org": org(t.provider_org_ref, t.provider_org_type, t.provider_org_name),
        "receiver_org": org(t.receiver_org_ref, t.receiver_org_type, t.receiver_org_name),
    }


def _result_input(r: Result) -> dict[str, Any]:
    return {
        "type": r.type,
        "title": r.title,
        "description": r.description,
        "indicators": [
            {
                "measure": i.measure,
                "ascending": i.ascending,
                "title": i.title,
                "description": i.description,
                "baseline": None
                if i.baseline_year is None
                else {
                    "year": i.baseline_year,
                    "iso_date": i.baseline_iso_date,
                    "value": i.baseline_value,
                },
                "periods": [
                    {
                        "period_start": p.period_start,
                        "period_end": p.period_end,
                        "target_value": p.target_value,
                        "actual_value": p.actual_value,
                    }
                    for p in i.periods
                ],
            }
            for i in r.indicators
        ],
    }


def _checked(*, session: Session, actor: Principal, project_in: ProjectCreate) -> ProjectCreate:
    reference = reference_data(session=session, actor=actor)
    checked, errors = check_project(reference=reference, project_in=project_in)
    if errors:
        first = errors[0]
        raise Invalid(f"invalid project: {first.field}: {first.message}", errors=errors)
    return checked


def _insert(*, session: Session, actor: Principal, project_in: ProjectCreate) -> Project:
    if find_project(session=session, iati_identifier=project_in.iati_identifier) is not None:
        raise Conflict(
            f"a project with IATI identifier '{project_in.iati_identifier}' exists already",
            errors=[FieldError("iati_identifier", "already used by another project")],
        )
    project = build_project(project_in)
    session.add(project)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.create",
        object_type="project",
        object_id=project.id,
        detail={"iati_identifier": project.iati_identifier},
    )
    return project


#: Every field of a project but its identifier, which never changes.
ALL_FIELDS = frozenset(ProjectCreate.model_fields) - {"iati_identifier"}
#: The collections of a project, replaced whole when they change.
_COLLECTIONS = (
    "participating_orgs",
    "activity_dates",
    "recipient_countries",
    "sectors",
    "budgets",
    "transactions",
    "results",
)


def build_project(project_in: ProjectCreate) -> Project:
    """A new, unsaved project made of a checked input."""
    project = Project(iati_identifier=project_in.iati_identifier)
    _fill(project, project_in, ALL_FIELDS)
    return project


def _apply(
    session: Session, project: Project, data: ProjectCreate, fields: AbstractSet[str]
) -> None:
    """Set the ``fields`` of a stored ``project`` from ``data``; collections are replaced whole.

    The old rows go first, so that new rows with the same unique keys do not collide with them.
    """
    elements = {e for e in ("title", "description") if e in fields}
    project.narratives = [n for n in project.narratives if n.element not in elements]
    for name in _COLLECTIONS:
        if name in fields:
            getattr(project, name).clear()
    session.flush()
    _fill(project, data, fields)


def _fill(project: Project, data: ProjectCreate, fields: AbstractSet[str]) -> None:
    for name in ("default_language", "default_currency", "activity_status"):
        if name in fields:
            setattr(project, name, getattr(data, name))
    if "reporting_org" in fields:
        org = data.reporting_org
        assert org.ref is not None and org.type is not None  # filled in by check_project
        project.reporting_org_code = org.code
        project.reporting_org_ref = org.ref
        project.reporting_org_type = org.type
    for element in ("title", "description"):
        if element in fields:
            for lang, text in getattr(data, element).items():
                project.narratives.append(ProjectNarrative(element=element, lang=lang, text=text))
    if "participating_orgs" in fields:
        project.participating_orgs.extend(
            ParticipatingOrg(
                role=o.role,
                ref=o.ref,
                type=o.type,
                name=o.name,
                organisation_code=o.organisation_code,
            )
            for o in data.participating_orgs
        )
    if "activity_dates" in fields:
        project.activity_dates.extend(
            ActivityDate(type=d.type, iso_date=d.iso_date) for d in data.activity_dates
        )
    if "recipient_countries" in fields:
        project.recipient_countries.extend(
            RecipientCountry(country_code=c.country, percentage=c.percentage)
            for c in data.recipient_countries
        )
    if "sectors" in fields:
        project.sectors.extend(
            ProjectSector(code=s.code, vocabulary=s.vocabulary, percentage=s.percentage)
            for s in data.sectors
        )
    if "budgets" in fields:
        project.budgets.extend(Budget(**b.model_dump()) for b in data.budgets)
    if "transactions" in fields:
        project.transactions.extend(_transaction(t) for t in data.transactions)
    if "results" in fields:
        project.results.extend(_result(r) for r in data.results)


def _transaction(t: TransactionIn) -> Transaction:
    provider, receiver = t.provider_org, t.receiver_org
    return Transaction(
        type=t.type,
        transaction_date=t.transaction_date,
        value=t.value,
        currency=t.currency.upper() if t.currency else None,
        value_date=t.value_date,
        description=t.description,
        provider_org_ref=provider.ref if provider else None,
        provider_org_type=provider.type if provider else None,
        provider_org_name=provider.name if provider else {},
        receiver_org_ref=receiver.ref if receiver else None,
        receiver_org_type=receiver.type if receiver else None,
        receiver_org_name=receiver.name if receiver else {},
    )


def _result(r: ResultIn) -> Result:
    return Result(
        type=r.type,
        title=r.title,
        description=r.description,
        indicators=[
            Indicator(
                measure=i.measure,
                ascending=i.ascending,
                title=i.title,
                description=i.description,
                baseline_year=i.baseline.year if i.baseline else None,
                baseline_iso_date=i.baseline.iso_date if i.baseline else None,
                baseline_value=i.baseline.value if i.baseline else None,
                periods=[IndicatorPeriod(**p.model_dump()) for p in i.periods],
            )
            for i in r.indicators
        ],
    )
