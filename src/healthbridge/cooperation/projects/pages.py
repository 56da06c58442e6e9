"""Pages of the projects part of the dialogue channel."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
