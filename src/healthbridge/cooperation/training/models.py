"""Tables of the training part of the dialogue channel."""

from __future__ import annotations
