"""What a diagnosis reports: findings with their evidence and the fixes they offer.

The shape is the contract of ../shared/FINDINGS.md. Evidence says where each fact came from and at
which level it was known: `declared` (what the spec asks for), `reported` (what a controller wrote
in a status or condition) or `observed` (pod state, events and logs read now).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "error", "warning", "info"]
Level = Literal["declared", "reported", "observed"]
SEVERITY_RANK: dict[str, int] = {"critical": 0, "error": 1, "warning": 2, "info": 3}
COMPONENTS = ("predictor", "transformer", "explainer", "ingress", "knative", "service")


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.api_version:
            out["apiVersion"] = self.api_version
        return out


@dataclass(frozen=True)
class LogLines:
    container: str
    previous: bool
    lines: tuple[str, ...]
    truncated: bool = False
    filter: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"container": self.container, "previous": self.previous, "lines": list(self.lines),
                               "truncated": self.truncated}
        if self.filter:
            out["filter"] = self.filter
        return out


@dataclass(frozen=True)
class Evidence:
    level: Level
    object: ObjectRef
    field: str = ""
    value: Any = None
    log: LogLines | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level, "object": self.object.as_dict()}
        if self.field:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = self.value
        if self.log is not None:
            out["log"] = self.log.as_dict()
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Offer:
    """A remediation this finding makes available, with the parameters POST /remediate needs."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "params": dict(self.params)}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    component: str
    title: str
    explanation: str
    evidence: tuple[Evidence, ...] = ()
    remediations: tuple[Offer, ...] = ()
    object: ObjectRef | None = None
    causes: tuple[str, ...] = ()
    # what the diagnoser found, as the catalogue's placeholders name it: remediators turn these into the
    # parameters of their offers (not part of the answer)
    variant: str = field(default="default", compare=False)
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (SEVERITY_RANK[self.severity], self.component, self.code, self.object.name if self.object else "")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code, "severity": self.severity, "component": self.component, "title": self.title,
            "explanation": self.explanation, "evidence": [e.as_dict() for e in self.evidence],
            "remediations": [r.as_dict() for r in self.remediations],
        }
        if self.object is not None:
            out["object"] = self.object.as_dict()
        if self.causes:
            out["causes"] = list(self.causes)
        return out
