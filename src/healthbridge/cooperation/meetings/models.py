"""Tables of the meetings part of the dialogue channel."""

from __future__ import annotations
