"""Safe access into nested JSON: no chain of `.get()` that can meet a None or a list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    cur = obj
    for key in path:
        if isinstance(key, int):
            if not isinstance(cur, list) or not -len(cur) <= key < len(cur):
                return default
            cur = cur[key]
        else:
            if not isinstance(cur, Mapping):
                return default
            cur = cur.get(key)
        if cur is None:
            return default
    return cur


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def meta(obj: Any) -> dict[str, Any]:
    return as_dict(dig(obj, "metadata"))


def name_of(obj: Any) -> str:
    return str(dig(obj, "metadata", "name", default=""))


def namespace_of(obj: Any) -> str:
    return str(dig(obj, "metadata", "namespace", default=""))


def labels_of(obj: Any) -> dict[str, str]:
    return as_dict(dig(obj, "metadata", "labels"))


def annotations_of(obj: Any) -> dict[str, str]:
    return as_dict(dig(obj, "metadata", "annotations"))


def created(obj: Any) -> str:
    return str(dig(obj, "metadata", "creationTimestamp", default=""))
