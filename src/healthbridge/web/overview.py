"""The figures of the home page, each counted through its domain's service (and policy)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthbridge.accounts import service as accounts
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import service as surveillance


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    href: str


def home_figures(session: Session, actor: Principal) -> list[Figure]:
    """Counts of what the actor can browse, with the page to browse it."""
    one = PageRequest(limit=1)
    figures = [
        Figure(
            "Countries",
            geography.list_countries(session=session, actor=actor, page=one)[1],
            "/countries",
        ),
        Figure(
            "Subdivisions",
            geography.list_subdivisions(session=session, actor=actor, page=one)[1],
            "/countries",
        ),
        Figure(
            "Notifiable diseases",
            surveillance.list_diseases(session=session, actor=actor, page=one)[1],
            "/diseases",
        ),
        Figure(
            "Organisations",
            organisations.list_organisations(session=session, actor=actor, page=one)[1],
            "/organisations",
        ),
    ]
    if is_allowed(actor, Action.ACCOUNT_READ, country=actor.country):
        figures.append(
            Figure(
                "Accounts you administer",
                accounts.count_users(session=session, actor=actor),
                "/users",
            )
        )
    return figures
