"""What a remediator is: an id, what it changes, its parameters, the codes it fixes (declared here once:
the diagnosis offers it for findings of those codes, with the parameters its `offer` draws from the
finding's facts), the RBAC it needs, and a planner that turns a target and parameters into a Plan of
JSON patches.

Planners read the cluster through a narrow read-only interface (they need the object as it is now to
build `test` operations) and never write: applying a plan is the service's job, after the checks.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import marshmallow
import yaml

from core.kube import errors as kerr
from core.kube.resources import Resource

from .patch import Op


class Reader(Protocol):
    """The reads a planner may make (the service implements it over the official client), and the operator's
    settings planners honour."""

    max_memory: str          # KSERVE_DOCTOR_MAX_MEMORY
    knative_namespace: str   # KSERVE_DOCTOR_KNATIVE_NAMESPACE

    def get(self, r: Resource, namespace: str, name: str) -> dict[str, Any]: ...

    def list(self, r: Resource, namespace: str | None, *, labels: str | None = None) -> list[dict[str, Any]]: ...


def optional_list(reader: Reader, r: Resource, namespace: str | None, warnings: list[str], purpose: str, *,
                  labels: str | None = None) -> list[dict[str, Any]]:
    """A read that only refines the plan (a warning, a bound): when it is refused, say so and go on."""
    try:
        return reader.list(r, namespace, labels=labels)
    except kerr.Forbidden:
        warnings.append(f"{purpose} could not be checked: reading {r.label} in {namespace or 'the cluster'} "
                        "was refused.")
    except kerr.NotFound:
        pass
    return []


class PlanRefused(Exception):
    """The parameters cannot make a valid plan (the answer is 422, naming the field)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Target:
    namespace: str
    name: str


@dataclass
class Change:
    """One object the plan patches: where it is, the RFC 6902 patch, and the object before and after."""

    resource: Resource
    before: dict[str, Any]
    ops: list[Op]
    after: dict[str, Any]
    volatile: frozenset[int] = frozenset()  # ops whose value (a timestamp) is not part of the plan's identity

    @property
    def namespace(self) -> str:
        return str((self.before.get("metadata") or {}).get("namespace", ""))

    @property
    def name(self) -> str:
        return str((self.before.get("metadata") or {}).get("name", ""))

    def ref(self) -> dict[str, Any]:
        meta = self.before.get("metadata") or {}
        out = {"apiVersion": self.resource.api_version, "kind": self.resource.kind, "name": meta.get("name", ""),
               "resourceVersion": meta.get("resourceVersion", "")}
        if self.resource.namespaced:
            out["namespace"] = meta.get("namespace", "")
        return out

    def identity(self) -> dict[str, Any]:
        ops = [dict(op, value="<volatile>") if i in self.volatile else op for i, op in enumerate(self.ops)]
        return {"object": self.ref(), "patch": ops}

    def diff(self) -> str:
        """A unified diff of the object as YAML (status and managed fields left out)."""
        def show(obj: dict[str, Any]) -> list[str]:
            trimmed = {k: v for k, v in obj.items() if k != "status"}
            meta = {k: v for k, v in (trimmed.get("metadata") or {}).items() if k not in ("managedFields",)}
            trimmed["metadata"] = meta
            return yaml.safe_dump(trimmed, sort_keys=False, default_flow_style=False).splitlines(keepends=True)

        label = f"{self.resource.kind.lower()}/{self.name}"
        return "".join(difflib.unified_diff(show(self.before), show(self.after), f"a/{label}", f"b/{label}", n=3))


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # the parameters as resolved (defaults filled in)

    @property
    def plan_id(self) -> str:
        canonical = json.dumps([c.identity() for c in self.changes], sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]

    @property
    def noop(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class Suggestion:
    """An offer of this remediator for one finding: the parameters POST /remediate takes, and its title."""

    params: dict[str, Any]
    title: str


# (code, variant, facts of the finding) -> the offer, or None when this finding is not one it can fix
Offer = Callable[[str, str, Mapping[str, Any]], Suggestion | None]


def never(code: str, variant: str, facts: Mapping[str, Any]) -> Suggestion | None:
    """The offer of a remediator that is only ever asked for by name."""
    return None


@dataclass(frozen=True)
class Remediator:
    id: str
    title: str
    changes: str                       # what it changes, in a sentence
    fixes: tuple[str, ...]             # finding codes it is offered for (the one place that says so)
    params: type[marshmallow.Schema]   # its parameters
    # The PolicyRules the service account needs to apply it (the Helm chart is generated from them: reads
    # always, the other verbs when enabled). "namespace" names a namespace setting, not a namespace:
    # "knative" is KSERVE_DOCTOR_KNATIVE_NAMESPACE (values: knativeNamespace); without it, cluster-wide.
    rbac: tuple[dict[str, Any], ...]
    plan: Callable[[Reader, Target, dict[str, Any]], Plan]
    offer: Offer = never               # its offer for a finding of one of those codes
