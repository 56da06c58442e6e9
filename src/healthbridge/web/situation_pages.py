"""The regional situation room: the home page (``/``), its full-screen wall mode
(``/situation?wall=1``), the panels htmx reloads every minute (``/situation/panels/{name}``) and
the same figures as JSON (``GET /api/v1/situation``)."""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.accounts import service as accounts
from healthbridge.deps import Allow, SessionDep
from healthbridge.eoc.models import RISK_LEVELS
from healthbridge.errors import NotFound
from healthbridge.marks import N_
from healthbridge.policy import Action, Principal
from healthbridge.web.overview import home_figures
from healthbridge.web.situation import PANELS, UNASSESSED, SharedSituations, Situation
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["situation room"])
SignedIn = Annotated[Principal, Depends(Allow(Action.OWN_PROFILE))]
#: Seconds between two reloads of a panel.
REFRESH_SECONDS = 60
#: Each risk level's label on the map's legend, highest first, then none.
#: (English, marked for the catalogues: the templates translate them with ``_()``.)
RISK_LABELS = {
    "very_high": N_("Very high"),
    "high": N_("High"),
    "moderate": N_("Moderate"),
    "low": N_("Low"),
    "very_low": N_("Very low"),
    UNASSESSED: N_("Not yet assessed"),
}
NO_EVENT = N_("No open event")


@lru_cache(maxsize=1)
def map_shapes() -> dict[str, Any]:
    """The vendored country outlines (``static/geo/region.json``): viewBox and SVG paths."""
    text = resources.files("healthbridge").joinpath("static/geo/region.json").read_text("utf-8")
    shapes: dict[str, Any] = json.loads(text)
    return shapes


def _context(request: Request, situation: Situation, *, wall: bool) -> dict[str, Any]:
    return {
        "situation": situation,
        "shapes": map_shapes(),
        "risk_labels": RISK_LABELS,
        "risk_order": (*reversed(RISK_LEVELS), UNASSESSED),
        "no_event": NO_EVENT,
        "wall": wall,
        "refresh": REFRESH_SECONDS,
        "panel_query": "?wall=1" if wall else "",
    }


def _room(request: Request, session: SessionDep, actor: Principal, *, wall: bool) -> Response:
    user = accounts.get_self(session=session, actor=actor)
    situation = _shared(request).get(session=session, actor=actor)
    context = _context(request, situation, wall=wall)
    context["user"] = user
    context["figures"] = [] if wall else home_figures(session, actor)
    if wall:
        context["navigation"] = []
    return render(request, "situation/room.html", context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    """The situation room, as the home page after signing in."""
    return _room(request, session, actor, wall=False)


@router.get("/situation", response_class=HTMLResponse)
def situation_page(
    request: Request, session: SessionDep, actor: SignedIn, wall: bool = False
) -> Response:
    """The situation room; ``wall=1``: full screen for an EOC wall (no navigation, dark)."""
    return _room(request, session, actor, wall=wall)


@router.get("/situation/panels/{name}", response_class=HTMLResponse)
def situation_panel(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    name: Annotated[str, Path(max_length=20)],
    wall: bool = False,
) -> Response:
    """One panel of the situation room, without the layout (htmx reloads it every minute)."""
    if name not in PANELS:
        raise NotFound(f"no panel '{name[:20]}'; panels: {', '.join(PANELS)}")
    situation = _shared(request).get(session=session, actor=actor, panels=(name,))
    return render(request, f"situation/panel_{name}.html", _context(request, situation, wall=wall))


@api_router.get("/situation", summary="The situation room's figures")
def situation_api(request: Request, session: SessionDep, actor: SignedIn) -> dict[str, Any]:
    """What the situation room shows the caller: open events by country and risk (of the
    events the caller sees), open signals of the last four weeks, 7-1-7 timeliness of the last
    complete quarter, unmet critical resource requests, commitments overdue or due within 30
    days, the latest events and, for a country's case readers, their own country's case
    counts (``cases`` is null for everyone else). Figures are at most
    ``HEALTHBRIDGE_SITUATION_CACHE_SECONDS`` (15) seconds old."""
    return dataclasses.asdict(_shared(request).get(session=session, actor=actor))


def _shared(request: Request) -> SharedSituations:
    """The app's situations shared between users who see the same (made at the first use)."""
    shared: SharedSituations | None = getattr(request.app.state, "situations", None)
    if shared is None:
        shared = SharedSituations(request.app.state.settings.situation_cache_seconds)
        request.app.state.situations = shared
    return shared
