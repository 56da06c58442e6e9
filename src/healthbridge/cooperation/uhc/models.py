"""Tables of the uhc part of the dialogue channel."""

from __future__ import annotations
