"""Demo data of the training part of the dialogue channel."""

from __future__ import annotations

from sqlalchemy.orm import Session

from healthbridge.policy import Principal


def load_demo(*, session: Session, actor: Principal) -> None:
    """Load the demo records (idempotent)."""
