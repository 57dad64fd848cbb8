"""Label and field selectors as values: rendered for the API server, or matched locally by the cache.

Only the forms kserve-doctor itself uses are needed (equality, `in`, existence), so one structured
value serves both the query string sent to the API server and the watch cache's in-memory match,
and the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Labels:
    equal: tuple[tuple[str, str], ...] = ()
    within: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exists: tuple[str, ...] = ()

    @classmethod
    def of(cls, equal: Mapping[str, str] | None = None,
           within: Mapping[str, tuple[str, ...] | list[str]] | None = None, exists: tuple[str, ...] = ()) -> Labels:
        within_items = tuple(sorted((k, tuple(v)) for k, v in (within or {}).items()))
        return cls(tuple(sorted((equal or {}).items())), within_items, tuple(exists))

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in self.equal]
        parts += [f"{k} in ({','.join(vs)})" for k, vs in self.within]
        parts += list(self.exists)
        return ",".join(parts)

    def matches(self, labels: Mapping[str, Any]) -> bool:
        return (all(labels.get(k) == v for k, v in self.equal)
                and all(labels.get(k) in vs for k, vs in self.within)
                and all(k in labels for k in self.exists))


@dataclass(frozen=True)
class Fields:
    equal: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, **equal: str) -> Fields:
        return cls(tuple(sorted((k.replace("__", "."), v) for k, v in equal.items())))

    def query(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.equal)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for path, want in self.equal:
            cur: Any = obj
            for seg in path.split("."):
                cur = cur.get(seg) if isinstance(cur, Mapping) else None
            if str(cur if cur is not None else "") != want:
                return False
        return True
