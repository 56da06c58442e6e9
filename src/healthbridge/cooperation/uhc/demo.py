"""Demo data of UHC progress: the 14 countries' indicators over 2015–2022, where plausible.

The values ship as a CSV in the WHO GHO export layout (``data/demo_gho_uhc.csv``) and go through
the same importer as any GHO file, so loading them twice stores them once. They approximate
published WHO GHO figures, rounded, and are recorded with the source :data:`DEMO_SOURCE`: they
are not official WHO figures.
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy.orm import Session

from healthbridge.cooperation.uhc import importing, service
from healthbridge.policy import Principal

DEMO_FILE = "demo_gho_uhc.csv"
DEMO_SOURCE = "Demo data approximating WHO GHO"


def demo_csv() -> bytes:
    """The demo file's bytes."""
    return resources.files("healthbridge.cooperation.uhc").joinpath("data", DEMO_FILE).read_bytes()


def load_demo(*, session: Session, actor: Principal) -> importing.ImportReport:
    """Load the indicator definitions and the demo values (idempotent)."""
    service.load_indicators(session=session, actor=actor)
    return importing.import_gho_csv(
        session=session, actor=actor, data=demo_csv(), filename=DEMO_FILE, source=DEMO_SOURCE
    )
