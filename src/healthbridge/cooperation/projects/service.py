"""Cooperation projects: the operations other parts rely on come first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.cooperation.projects.models import Project
from healthbridge.errors import FieldError, Invalid


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
