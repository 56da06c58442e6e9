"""Organisation table."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base


class Organisation(Base):
    """A body that takes part in cooperation: intergovernmental, UN, ministry, agency, partner."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    acronym: Mapped[str | None] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(240))
    kind: Mapped[str] = mapped_column(String(40))
    #: ISO 3166-1 alpha-3 of the seat, for national bodies; partners may sit outside the region,
    #: so this is not a reference to the served countries.
    country_code: Mapped[str | None] = mapped_column(String(3), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    website: Mapped[str | None] = mapped_column(String(300))
