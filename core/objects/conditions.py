"""Status conditions (`status.conditions[]`), as Knative, KServe and core objects report them."""

from __future__ import annotations

from typing import Any

from .fields import as_dict, as_list, dig


def conditions(obj: Any) -> list[dict[str, Any]]:
    return [as_dict(c) for c in as_list(dig(obj, "status", "conditions")) if isinstance(c, dict)]


def condition(obj: Any, type_: str) -> dict[str, Any] | None:
    for c in conditions(obj):
        if c.get("type") == type_:
            return c
    return None


def status(obj: Any, type_: str) -> str | None:
    """"True", "False", "Unknown", or None when the condition is absent."""
    c = condition(obj, type_)
    return str(c.get("status")) if c is not None and c.get("status") is not None else None


def is_true(obj: Any, type_: str) -> bool:
    return status(obj, type_) == "True"


def reason(obj: Any, type_: str) -> str:
    return str((condition(obj, type_) or {}).get("reason") or "")


def message(obj: Any, type_: str) -> str:
    return str((condition(obj, type_) or {}).get("message") or "")


def failing(obj: Any) -> list[dict[str, Any]]:
    """Conditions that are not True (and not merely informational), in the order reported."""
    return [c for c in conditions(obj) if c.get("status") != "True" and c.get("severity") not in ("Info",)]


def path(type_: str) -> str:
    """The field path evidence names for a condition."""
    return f"status.conditions[type={type_}]"
