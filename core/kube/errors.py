"""Kubernetes API errors as one typed hierarchy that mirrors `meta/v1 Status`.

The official client raises a single `ApiException` carrying an HTTP status and a body. Code above
this layer should never depend on that transport detail: it catches `NotFound` or `Forbidden`, reads
`reason` and `message` as the API server wrote them, and never sees a raw body that is not a
`Status` (anything else is truncated, since an unknown body may echo what it should not).
"""

from __future__ import annotations

import json
from typing import Any

# A non-Status error body is kept only this long: enough to diagnose, too short to leak much.
TEXT_ERROR_MAX_SIZE = 256


class KubeError(Exception):
    """An API request that did not succeed."""

    code: int = 0
    default_reason: str = "Unknown"

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None,
                 details: dict[str, Any] | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.reason = reason or self.default_reason
        self.details = details or {}
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "message": self.message}


class KubeUnreachable(KubeError):
    """No HTTP answer at all: connection refused, TLS failure, or the request timed out."""

    default_reason = "Unreachable"


class KubeClientError(KubeError):
    """The API server answered 4xx."""


class BadRequest(KubeClientError):
    code, default_reason = 400, "BadRequest"


class Unauthorized(KubeClientError):
    code, default_reason = 401, "Unauthorized"


class Forbidden(KubeClientError):
    code, default_reason = 403, "Forbidden"


class NotFound(KubeClientError):
    code, default_reason = 404, "NotFound"


class Conflict(KubeClientError):
    code, default_reason = 409, "Conflict"


class Gone(KubeClientError):
    code, default_reason = 410, "Expired"


class UnsupportedMediaType(KubeClientError):
    code, default_reason = 415, "UnsupportedMediaType"


class Invalid(KubeClientError):
    code, default_reason = 422, "Invalid"

    @property
    def causes(self) -> list[dict[str, Any]]:
        return list(self.details.get("causes") or [])


class TooManyRequests(KubeClientError):
    code, default_reason = 429, "TooManyRequests"


class KubeServerError(KubeError):
    """The API server answered 5xx."""

    code, default_reason = 500, "InternalError"


class ServiceUnavailable(KubeServerError):
    code, default_reason = 503, "ServiceUnavailable"


class GatewayTimeout(KubeServerError):
    code, default_reason = 504, "Timeout"


_BY_CODE: dict[int, type[KubeError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone,
    415: UnsupportedMediaType, 422: Invalid, 429: TooManyRequests, 503: ServiceUnavailable, 504: GatewayTimeout,
}

RETRYABLE = (TooManyRequests, KubeServerError)


def from_response(status: int, body: bytes | str | None, headers: Any = None) -> KubeError:
    """The typed error for an HTTP answer, keeping a payload only when it is a `Status`."""
    cls = _BY_CODE.get(status) or (KubeServerError if status >= 500 else KubeClientError)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    retry_after = None
    if headers is not None:
        raw = headers.get("Retry-After") if hasattr(headers, "get") else None
        try:
            retry_after = float(raw) if raw is not None else None
        except (TypeError, ValueError):
            retry_after = None
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and payload.get("kind") == "Status":
        details = payload.get("details") or {}
        if retry_after is None and details.get("retryAfterSeconds"):
            retry_after = float(details["retryAfterSeconds"])
        return cls(str(payload.get("message") or ""), code=status, reason=payload.get("reason") or None,
                   details=details, retry_after=retry_after)
    return cls(text[:TEXT_ERROR_MAX_SIZE] or f"HTTP {status}", code=status, retry_after=retry_after)
