"""Pages of the training part: programmes and their reach in counts (for everyone) and the list
of trainees with their certificates (for those who may read their country's trainees)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.training import service, summaries, trainees
from healthbridge.cooperation.training.schemas import CountryCounts, CourseMode, EnrolmentStatus
from healthbridge.deps import Allow, SessionDep
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.organisations import service as organisations
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed, visible_countries
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
TraineeReader = Annotated[Principal, Depends(Allow(Action.TRAINEE_READ))]

#: Rows of the trainee list page; the API pages further.
TRAINEE_PAGE_LIMIT = 200
#: Each enrolment status and course mode as the pages name it (English, marked for the
#: catalogues: the templates translate them with ``_()``).
ENROLMENT_STATUS_LABELS = {
    EnrolmentStatus.ENROLLED.value: N_("enrolled"),
    EnrolmentStatus.COMPLETED.value: N_("completed"),
    EnrolmentStatus.WITHDRAWN.value: N_("withdrawn"),
}
COURSE_MODE_LABELS = {
    CourseMode.IN_PERSON.value: N_("in person"),
    CourseMode.ONLINE.value: N_("online"),
    CourseMode.HYBRID.value: N_("hybrid"),
}


def _chart(rows: list[CountryCounts], names: dict[str, str]) -> dict[str, Any]:
    """Plotly traces of trainees and completions by country (the table shows the same), named
    in the request's language."""
    return {
        "categories": [names.get(r.country_code, r.country_name) for r in rows],
        "series": [
            {"name": gettext("Trainees"), "values": [r.trainees for r in rows]},
            {"name": gettext("Completions"), "values": [r.completions for r in rows]},
        ],
    }


def _may_read_trainees(actor: Principal) -> bool:
    return is_allowed(actor, Action.TRAINEE_READ, country=actor.country)


@router.get("/training", response_class=HTMLResponse)
def programmes_page(request: Request, session: SessionDep, actor: Reader) -> Response:
    programmes, total = service.list_programmes(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    totals = summaries.programme_totals(session=session, actor=actor)
    by_country = summaries.counts_by_country(session=session, actor=actor)
    names = geography.country_names(session=session, actor=actor)
    return render(
        request,
        "training/programmes.html",
        {
            "programmes": programmes,
            "total": total,
            "totals": totals,
            "empty": summaries.empty_totals(),
            "by_country": by_country,
            "chart": _chart(by_country, names),
            "country_names": names,
            "may_read_trainees": _may_read_trainees(actor),
        },
    )


@router.get("/training/trainees", response_class=HTMLResponse)
def trainees_page(
    request: Request,
    session: SessionDep,
    actor: TraineeReader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    programme: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    found = (
        service.get_programme(session=session, actor=actor, code=programme) if programme else None
    )
    rows, total = trainees.list_trainees(
        session=session,
        actor=actor,
        page=PageRequest(limit=TRAINEE_PAGE_LIMIT),
        country=country or None,
        programme=found,
        q=q,
    )
    context = {
        "trainees": rows,
        "total": total,
        "shown": len(rows),
        "q": q or "",
        "country": (country or "").upper(),
        "programme": found,
        "enrolment_statuses": ENROLMENT_STATUS_LABELS,
    }
    if is_htmx(request):
        return render(request, "training/_trainees_table.html", context)
    allowed = visible_countries(actor, Action.TRAINEE_READ)
    countries = [
        c
        for c in geography.list_countries(
            session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
        )[0]
        if allowed is None or c.code in allowed
    ]
    programmes, _n = service.list_programmes(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    return render(
        request,
        "training/trainees.html",
        {**context, "countries": countries, "programmes": programmes},
    )


@router.get("/training/{code}", response_class=HTMLResponse)
def programme_page(request: Request, session: SessionDep, actor: Reader, code: str) -> Response:
    programme = service.get_programme(session=session, actor=actor, code=code)
    summary = summaries.programme_summary(session=session, actor=actor, programme=programme)
    organiser = organisations.get_organisation(
        session=session, actor=actor, code=programme.organiser_code
    )
    host = geography.get_country(session=session, actor=actor, code=programme.host_country_code)
    project = projects.require_project(session=session, project_id=programme.project_id)
    commitment = (
        service.commitment_text(session=session, commitment_id=programme.commitment_id)
        if programme.commitment_id
        else None
    )
    names = geography.country_names(session=session, actor=actor)
    return render(
        request,
        "training/programme.html",
        {
            "programme": programme,
            "summary": summary,
            "organiser": organiser,
            "host": host,
            "project": project,
            "commitment": commitment,
            "chart": _chart(summary.by_country, names),
            "country_names": names,
            "course_modes": COURSE_MODE_LABELS,
            "may_read_trainees": _may_read_trainees(actor),
        },
    )
