"""The answers other than success, with stable machine-readable codes; no Flask in here.

The HTTP layer turns each into `{"error": {"code", "message", "details"}}` with its status.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer other than success, with a stable machine-readable code."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}, **self.extra}


class InvalidName(ApiError):
    status, code = 400, "INVALID_NAME"


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"


class Unavailable(ApiError):
    status, code = 503, "API_UNAVAILABLE"


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"


class Conflict(ApiError):
    status, code = 409, "CONFLICT"


class Unprocessable(ApiError):
    status, code = 422, "VALIDATION_FAILED"
