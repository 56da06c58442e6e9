"""Assertions on RFC 9457 problem responses, shared by the API tests."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json of ``status`` with type, title and detail; its body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], f"problem without {key}: {body}"
    assert body["type"].startswith("/problems/")
    return body
