"""API of the training part of the dialogue channel."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["training"])
