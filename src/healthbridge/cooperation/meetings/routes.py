"""API of the meetings part of the dialogue channel."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["meetings"])
