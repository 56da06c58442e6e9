"""Tables of the commitments part of the dialogue channel."""

from __future__ import annotations
