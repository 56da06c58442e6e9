"""Projects as the API and the pages show them: labels, names and figures added to the rows."""

from __future__ import annotations

from healthbridge.cooperation.projects import codelists, figures
from healthbridge.cooperation.projects.models import (
    Indicator,
    Project,
    Result,
    Transaction,
)
from healthbridge.cooperation.projects.schemas import (
    ActivityDateRead,
    BaselineRead,
    BudgetRead,
    IndicatorRead,
    ParticipatingOrgRead,
    PeriodRead,
    ProjectRead,
    ProjectSummary,
    RecipientCountryRead,
    ReportingOrgRead,
    ResultRead,
    SectorRead,
    TransactionOrgRead,
    TransactionRead,
)
from healthbridge.cooperation.projects.validation import ReferenceData


def summary_of(project: Project, reference: ReferenceData) -> ProjectSummary:
    """The portfolio row of ``project``."""
    return ProjectSummary(**_summary_fields(project, reference))


def read_of(project: Project, reference: ReferenceData) -> ProjectRead:
    """Everything about ``project``."""
    return ProjectRead(
        **_summary_fields(project, reference),
        description=project.texts("description"),
        participating_orgs=[
            ParticipatingOrgRead(
                role=o.role,
                role_label=codelists.ORGANISATION_ROLE[o.role],
                ref=o.ref,
                type=o.type,
                name=o.name,
                organisation_code=o.organisation_code,
            )
            for o in project.participating_orgs
        ],
        budgets=[
            BudgetRead(
                id=b.id,
                type=b.type,
                status=b.status,
                period_start=b.period_start,
                period_end=b.period_end,
                value=b.value,
                currency=b.currency or project.default_currency,
                value_date=b.value_date,
            )
            for b in project.budgets
        ],
        transactions=[transaction_read(t, project) for t in project.transactions],
        results=[result_read(r) for r in project.results],
        created_at=project.created_at,
    )


def _summary_fields(project: Project, reference: ReferenceData) -> dict[str, object]:
    countries = []
    for recipient in project.recipient_countries:
        facts = reference.countries.get(recipient.country_code)
        countries.append(
            RecipientCountryRead(
                country=recipient.country_code,
                alpha2=facts.alpha2 if facts else "",
                name=facts.name if facts else recipient.country_code,
                percentage=recipient.percentage,
            )
        )
    return {
        "id": project.id,
        "iati_identifier": project.iati_identifier,
        "title": project.texts("title"),
        "default_language": project.default_language,
        "default_currency": project.default_currency,
        "reporting_org": ReportingOrgRead(
            code=project.reporting_org_code,
            ref=project.reporting_org_ref,
            type=project.reporting_org_type,
            name=reference.organisation_name(project.reporting_org_code),
        ),
        "activity_status": project.activity_status,
        "activity_status_label": codelists.ACTIVITY_STATUS[project.activity_status],
        "activity_dates": [
            ActivityDateRead(
                type=d.type, type_label=codelists.ACTIVITY_DATE_TYPE[d.type], iso_date=d.iso_date
            )
            for d in project.activity_dates
        ],
        "recipient_countries": countries,
        "sectors": [
            SectorRead(
                code=s.code,
                vocabulary=s.vocabulary,
                name=codelists.purpose_name(s.code),
                percentage=s.percentage,
            )
            for s in project.sectors
        ],
        "budget_total": figures.budget_total(project),
        "disbursed_total": figures.disbursed_total(project),
        "updated_at": project.updated_at,
    }


def transaction_read(transaction: Transaction, project: Project) -> TransactionRead:
    """One transaction, its currency made explicit."""
    t = transaction

    def org(ref: str | None, type_: str | None, name: dict[str, str]) -> TransactionOrgRead | None:
        if ref is None and type_ is None and not name:
            return None
        return TransactionOrgRead(ref=ref, type=type_, name=name)

    return TransactionRead(
        id=t.id,
        type=t.type,
        type_label=codelists.TRANSACTION_TYPE[t.type],
        transaction_date=t.transaction_date,
        value=t.value,
        currency=t.currency or project.default_currency,
        value_date=t.value_date,
        description=t.description,
        provider_org=org(t.provider_org_ref, t.provider_org_type, t.provider_org_name),
        receiver_org=org(t.receiver_org_ref, t.receiver_org_type, t.receiver_org_name),
    )


def result_read(result: Result) -> ResultRead:
    """One result with its indicators and their progress."""
    return ResultRead(
        id=result.id,
        type=result.type,
        type_label=codelists.RESULT_TYPE[result.type],
        title=result.title,
        description=result.description,
        indicators=[indicator_read(i) for i in result.indicators],
    )


def indicator_read(indicator: Indicator) -> IndicatorRead:
    """One indicator; each period with its progress from the baseline towards the target."""
    baseline = None
    if indicator.baseline_year is not None:
        baseline = BaselineRead(
            year=indicator.baseline_year,
            iso_date=indicator.baseline_iso_date,
            value=indicator.baseline_value,
        )
    return IndicatorRead(
        id=indicator.id,
        measure=indicator.measure,
        measure_label=codelists.INDICATOR_MEASURE[indicator.measure],
        ascending=indicator.ascending,
        title=indicator.title,
        description=indicator.description,
        baseline=baseline,
        periods=[
            PeriodRead(
                period_start=p.period_start,
                period_end=p.period_end,
                target_value=p.target_value,
                actual_value=p.actual_value,
                progress=figures.progress(
                    measure=indicator.measure,
                    ascending=indicator.ascending,
                    baseline=indicator.baseline_value,
                    target=p.target_value,
                    actual=p.actual_value,
                ),
            )
            for p in indicator.periods
        ],
    )
