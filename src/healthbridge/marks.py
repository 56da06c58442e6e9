"""Marking text for the interface's message catalogues from any layer (policy, domains) without
importing the web layer: ``N_("Sign out")`` returns the text unchanged and
``scripts/extract-messages`` collects it; the page translates it where it is shown."""

from __future__ import annotations


def N_(message: str) -> str:
    """``message`` itself, marked for the catalogues."""
    return message
