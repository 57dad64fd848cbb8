"""Building RFC 6902 JSON patches that refuse to apply to anything but the object they were made for.

Every patch starts with a `test` of `/metadata/resourceVersion`, and every `replace` is preceded by a
`test` of the value it replaces: if anyone changed the object in between, the API server refuses the
patch (422) instead of re-applying it to a newer object. `add` needs its parent to exist, so setting a
value under a missing parent adds the nearest missing ancestor whole. Keys are escaped as RFC 6901 says
(`nvidia.com/gpu` -> `nvidia.com~1gpu`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import jsonpatch

Op = dict[str, Any]


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join(f"/{escape(str(t))}" for t in tokens)


class PatchBuilder:
    """Accumulates ops against a copy of the object, so each op is built against the state it will meet."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.original = obj
        self.doc = copy.deepcopy(obj)
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        self.ops: list[Op] = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv}] if rv else []
        self.volatile: set[int] = set()

    def _get(self, tokens: Sequence[str | int]) -> tuple[bool, Any]:
        cur: Any = self.doc
        for t in tokens:
            in_dict = isinstance(cur, dict) and t in cur
            in_list = isinstance(cur, list) and isinstance(t, int) and 0 <= t < len(cur)
            if in_dict or in_list:
                cur = cur[t]
            else:
                return False, None
        return True, cur

    def set(self, tokens: Sequence[str | int], value: Any, *, volatile: bool = False) -> PatchBuilder:
        """Set the value at tokens: test+replace when it exists, else add under the nearest existing parent."""
        exists, old = self._get(tokens)
        if exists:
            if old == value:
                return self
            self.ops.append({"op": "test", "path": pointer(*tokens), "value": copy.deepcopy(old)})
            self._emit({"op": "replace", "path": pointer(*tokens), "value": copy.deepcopy(value)}, volatile)
            return self
        depth = len(tokens) - 1
        while depth > 0 and not self._get(tokens[:depth])[0]:
            depth -= 1
        nested: Any = copy.deepcopy(value)
        for t in reversed(tokens[depth + 1:]):
            nested = {str(t): nested}
        self._emit({"op": "add", "path": pointer(*tokens[: depth + 1]), "value": nested}, volatile)
        return self

    def _emit(self, op: Op, volatile: bool) -> None:
        if volatile:
            self.volatile.add(len(self.ops))
        self.ops.append(op)
        self.doc = jsonpatch.JsonPatch([op]).apply(self.doc)

    @property
    def changed(self) -> bool:
        return any(op["op"] != "test" for op in self.ops)
