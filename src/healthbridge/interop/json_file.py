"""Reading a JSON file that a user sends: bounded in size, hashed, UTF-8 (a byte-order mark
allowed), strict JSON (no ``NaN``), and every failure an :class:`~healthbridge.errors.Invalid`
naming the file, never another exception."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any, BinaryIO

from healthbridge.errors import FieldError, Invalid

_CHUNK = 1024 * 1024
_SHOWN = 40

#: ``progress(bytes_read)``, called as the file is read.
Progress = Callable[[int], None]


def read_json(
    source: bytes | BinaryIO, *, filename: str, limit: int, progress: Progress | None = None
) -> tuple[Any, int, str]:
    """``(document, size in bytes, SHA-256)`` of a JSON file of at most ``limit`` bytes."""
    raw, digest = _read(source, filename, limit, progress)
    return _parse(raw, filename), len(raw), digest


def _read(
    source: bytes | BinaryIO, filename: str, limit: int, progress: Progress | None
) -> tuple[bytes, str]:
    """The bytes (at most ``limit``) and their SHA-256."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise Invalid(
                f"{filename} is larger than {limit // (1024 * 1024)} MiB; nothing was imported",
                errors=[FieldError("file", "too large")],
            )
        digest.update(chunk)
        chunks.append(chunk)
        if progress is not None:
            progress(size)
    if progress is not None:
        progress(size)
    return b"".join(chunks), digest.hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(raw: bytes, filename: str) -> Any:
    """The JSON document; :class:`Invalid` for anything that is not UTF-8 JSON."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Invalid(
            f"{filename} is not UTF-8 text (line {line}): save it as UTF-8 JSON; "
            "nothing was imported",
            errors=[FieldError("file", f"byte 0x{raw[exc.start]:02x} at line {line} is not UTF-8")],
        ) from None
    if not text.strip():
        raise Invalid(
            f"{filename} is empty: expected a JSON object; nothing was imported",
            errors=[FieldError("file", "empty")],
        )
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"{filename} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "nothing was imported",
            errors=[FieldError("file", f"line {exc.lineno}, column {exc.colno}: {exc.msg}")],
        ) from None
    except (ValueError, RecursionError) as exc:
        # A constant (NaN), an integer of thousands of digits, or nesting deeper than Python's
        # stack: JSON no DHIS2 writes.
        message = "nested too deeply" if isinstance(exc, RecursionError) else shorten(str(exc))
        raise Invalid(
            f"{filename} is not JSON that can be read: {message}; nothing was imported",
            errors=[FieldError("file", message)],
        ) from None


def json_kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def shorten(text: str) -> str:
    """User text quoted in a message: printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= _SHOWN else printable[: _SHOWN - 1] + "…"
