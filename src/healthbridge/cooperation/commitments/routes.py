"""API of the commitments part of the dialogue channel."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["commitments"])
