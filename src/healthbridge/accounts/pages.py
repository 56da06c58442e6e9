"""Pages: the accounts an administrator or focal point manages, and one's own profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.accounts import service
from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.marks import N_
from healthbridge.paging import PageRequest
from healthbridge.policy import ROLE_LABELS, Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
AccountReader = Annotated[Principal, Depends(Allow(Action.ACCOUNT_READ))]
Self = Annotated[Principal, Depends(Allow(Action.OWN_PROFILE))]
#: Each role's label by its code (English, marked in :mod:`healthbridge.policy`).
ROLE_LABELS_BY_CODE = {role.value: label for role, label in ROLE_LABELS.items()}
#: Each kind of token as the profile names it (English, marked for the catalogues: the
#: template translates it with ``_()``).
TOKEN_KIND_LABELS = {"login": N_("sign-in"), "web": N_("web session"), "api": N_("API token")}


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    session: SessionDep,
    actor: AccountReader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    rows, total = service.list_users(session=session, actor=actor, page=page, q=q)
    template = "accounts/_users_table.html" if is_htmx(request) else "accounts/users.html"
    return render(
        request,
        template,
        {
            "users": rows,
            "total": total,
            "q": q or "",
            "page": page,
            "role_labels": ROLE_LABELS_BY_CODE,
        },
    )


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, session: SessionDep, actor: Self) -> Response:
    user = service.get_self(session=session, actor=actor)
    tokens, _total = service.list_tokens(
        session=session, actor=actor, user=user, page=PageRequest(limit=100)
    )
    return render(
        request,
        "accounts/profile.html",
        {"user": user, "tokens": tokens, "token_kinds": TOKEN_KIND_LABELS},
    )
