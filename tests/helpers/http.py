"""Checks of HTTP responses."""

from __future__ import annotations

from typing import Any


def assert_canonical_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Every error has one shape: {"error": {"status", "message", "field"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "message", "field"}
    assert error["status"] == status and error["message"]
    if field is not None:
        assert error["field"] == field, error
        assert field in error["message"] or status != 422
    return error  # type: ignore[no-any-return]
