"""Errors as the real API server writes them: `meta/v1 Status` objects from apimachinery's constructors.

Each constructor keeps the name, reason, code and message template of its counterpart in
k8s.io/apimachinery/pkg/api/errors, so that kubectl prints the sandbox's errors exactly as it prints
a real cluster's ("Error from server (NotFound): pods "x" not found") and the official client raises
the same ApiException with the same body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StatusError(Exception):
    code: int
    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


def _details(group_resource: str, name: str | None, **extra: Any) -> dict[str, Any]:
    resource, _, group = group_resource.partition(".")
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if resource:
        d["kind"] = resource
    d.update({k: v for k, v in extra.items() if v})
    return d


def not_found(group_resource: str, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{group_resource} "{name}" not found', _details(group_resource, name))


def already_exists(group_resource: str, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{group_resource} "{name}" already exists',
                       _details(group_resource, name))


def conflict(group_resource: str, name: str, why: str) -> StatusError:
    return StatusError(409, "Conflict", f'Operation cannot be fulfilled on {group_resource} "{name}": {why}',
                       _details(group_resource, name))


OBJECT_MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


@dataclass(frozen=True)
class FieldError:
    """One field.Error: its type decides the wording, as in apimachinery's validation/field."""

    type: str  # FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueForbidden...
    field: str
    detail: str
    value: Any = None

    _WORDS = {
        "FieldValueInvalid": "Invalid value",
        "FieldValueRequired": "Required value",
        "FieldValueNotSupported": "Unsupported value",
        "FieldValueForbidden": "Forbidden",
        "FieldValueTypeInvalid": "Invalid value",
        "FieldValueDuplicate": "Duplicate value",
        "FieldValueTooLong": "Too long",
    }

    def message(self) -> str:
        words = self._WORDS.get(self.type, "Invalid value")
        if self.type in ("FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong"):
            return f"{words}: {self.detail}" if self.detail else words
        value = self.value
        shown = f'"{value}"' if isinstance(value, str) else _go_value(value)
        return f"{words}: {shown}: {self.detail}" if self.detail else f"{words}: {shown}"

    def full(self) -> str:
        return f"{self.field}: {self.message()}" if self.field else self.message()


def _go_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return '"object"' if isinstance(value, dict) else '"array"'
    return str(value)


def invalid(group_kind: str, name: str, errors: Iterable[FieldError]) -> StatusError:
    errs = list(errors)
    texts = [e.full() for e in errs]
    aggregate = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    kind, _, group = group_kind.partition(".")
    details: dict[str, Any] = {"name": name, "group": group, "kind": kind,
                               "causes": [{"reason": e.type, "message": e.message(), "field": e.field}
                                          for e in errs]}
    return StatusError(422, "Invalid", f'{group_kind} "{name}" is invalid: {aggregate}',
                       {k: v for k, v in details.items() if v})


def unprocessable(server_message: str) -> StatusError:
    """NewGenericServerResponse(422, ...): what a JSON patch that cannot be applied gets."""
    return StatusError(422, "Invalid", "the server rejected our request due to an error in our request",
                       {"causes": [{"reason": "UnexpectedServerResponse", "message": server_message}]})


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def forbidden(group_resource: str, name: str, why: str) -> StatusError:
    subject = f'{group_resource} "{name}"' if name else group_resource
    return StatusError(403, "Forbidden", f"{subject} is forbidden: {why}", _details(group_resource, name))


def method_not_supported(group_resource: str, verb: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed", f"{verb} is not supported on resources of kind {group_resource!r}",
                       _details(group_resource, None))


def unsupported_media_type(content_type: str, accepted: Iterable[str]) -> StatusError:
    return StatusError(415, "UnsupportedMediaType",
                       f"the body of the request was in an unknown format - accepted media types include: "
                       f"{', '.join(accepted)}")


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_many_requests(retry_after: int = 1) -> StatusError:
    return StatusError(429, "TooManyRequests", "the server has received too many requests and has asked us to try "
                       "again later", {"retryAfterSeconds": retry_after}, retry_after=retry_after)


def internal_error(why: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {why}", {"causes": [{"message": why}]})


def service_unavailable(why: str = "the server is currently unable to handle the request") -> StatusError:
    return StatusError(503, "ServiceUnavailable", why)


def not_found_path() -> StatusError:
    """What the real server answers for a URL that names no resource at all."""
    return StatusError(404, "NotFound", "the server could not find the requested resource")


def for_code(code: int, group_resource: str, name: str) -> StatusError:
    """A Status for a bare status code, as a fault rule asks for it."""
    if code == 401:
        return unauthorized()
    if code == 403:
        return forbidden(group_resource, name, "injected by the sandbox's faults.yaml")
    if code == 404:
        return not_found(group_resource, name) if name else not_found_path()
    if code == 409:
        return conflict(group_resource, name, OBJECT_MODIFIED)
    if code == 429:
        return too_many_requests()
    if code == 500:
        return internal_error("injected by the sandbox's faults.yaml")
    if code == 503:
        return service_unavailable()
    if code == 504:
        return StatusError(504, "Timeout", "the server was unable to return a response in the time allotted")
    return StatusError(code, "Unknown", f"the server responded with the status code {code}")
