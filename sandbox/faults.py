"""`faults.yaml`: how the sandbox misbehaves on purpose, to test partial answers.

A list of rules; the first whose `match` fits the request applies. Match keys (all optional):
`verb` (get, list, watch, create, update, patch, delete), `resource` (plural), `group`,
`subresource`, `namespace`, `name`, `user`. Effects: `status` (a Status of that code, as the real
server writes it), `delay_ms`, `retry_after` (seconds, with 429/503). Two extensions of the shared
format: `times: N` applies the rule to its first N matching requests only (then it is spent), which
is how retry-until-success is tested; `match.path` matches a non-resource path such as `/version`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MATCH_KEYS = ("verb", "resource", "group", "subresource", "namespace", "name", "user", "path")


@dataclass
class Rule:
    match: dict[str, str]
    status: int | None = None
    delay_ms: int = 0
    retry_after: int | None = None
    times: int | None = None
    used: int = field(default=0)

    def fits(self, request: Mapping[str, str]) -> bool:
        return all(str(request.get(k, "")) == str(v) for k, v in self.match.items())


@dataclass(frozen=True)
class Effect:
    status: int | None
    delay_ms: int
    retry_after: int | None


class Faults:
    def __init__(self, rules: Iterable[Mapping[str, Any]] = ()) -> None:
        self._lock = threading.Lock()
        self.rules: list[Rule] = []
        for r in rules:
            self.add(r)

    def add(self, r: Mapping[str, Any]) -> None:
        match = {k: str(v) for k, v in (r.get("match") or {}).items()}
        unknown = set(match) - set(MATCH_KEYS)
        if unknown:
            raise ValueError(f"faults.yaml: unknown match keys {sorted(unknown)}")
        with self._lock:
            self.rules.append(Rule(match, r.get("status"), int(r.get("delay_ms") or 0), r.get("retry_after"),
                                   r.get("times")))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def effect(self, request: Mapping[str, str]) -> Effect | None:
        with self._lock:
            for rule in self.rules:
                if rule.times is not None and rule.used >= rule.times:
                    continue
                if rule.fits(request):
                    rule.used += 1
                    return Effect(rule.status, rule.delay_ms, rule.retry_after)
        return None
