"""Tables of cooperation projects (IATI 2.03 activities)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base


class Project(Base):
    """A cooperation project, described as an IATI activity."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The globally unique IATI activity identifier: reporting org's identifier, '-', own id.
    iati_identifier: Mapped[str] = mapped_column(String(150), unique=True)
