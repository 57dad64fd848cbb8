"""The diagnosis engine: the registered diagnosers over one snapshot, then the rules that relate findings.

The registries are the caller's (service.doctor hands in service.diagnosers' and remediations'): the
engine knows the shape of a diagnoser and of a remediator, not which exist. A diagnoser that raises is
reported as an error of that diagnoser and the others still run ("the checker broke" is never
confused with "the cluster is broken"). After they ran: findings that a more specific one explains
are dropped (catalogue `suppressed_by`), a symptom names the root causes found for its component
(catalogue `causes`), a service that is Ready has no critical finding (critical means it cannot
serve: failures of a rollout while the previous revision serves are errors), the fallbacks see the
rest, every remediator that fixes a finding's code is offered with the parameters it draws from the
finding, and the result is sorted by severity, component, code and object.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.objects import conditions as cond

from ..evidence import topology
from ..evidence.needs import Reads
from ..evidence.snapshot import Snapshot
from . import catalogue
from .finding import SEVERITY_RANK, Finding, Offer

log = logging.getLogger(__name__)

ROOT_CAUSE_SEVERITIES = ("critical", "error")


class Diagnoser(Protocol):
    """A diagnoser module: what it reads beyond wave one, and a pure function of the snapshot."""

    __name__: str
    READS: tuple[Reads, ...]

    def diagnose(self, s: Snapshot) -> list[Finding]: ...


class Fallback(Protocol):
    """A diagnoser that runs last and also sees what the others found."""

    __name__: str
    READS: tuple[Reads, ...]

    def diagnose(self, s: Snapshot, found: list[Finding]) -> list[Finding]: ...


class Suggestion(Protocol):
    params: Mapping[str, Any]
    title: str


class Remediator(Protocol):
    """What the engine needs of a remediator: its id, the codes it fixes, and its offer for a finding."""

    @property
    def id(self) -> str: ...

    @property
    def fixes(self) -> tuple[str, ...]: ...

    def offer(self, code: str, variant: str, facts: Mapping[str, Any]) -> Suggestion | None: ...


@dataclass(frozen=True)
class DiagnoserError:
    diagnoser: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"diagnoser": self.diagnoser, "error": self.error}


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    errors: tuple[DiagnoserError, ...]


def _name(d: Diagnoser | Fallback) -> str:
    return d.__name__.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Registry:
    """What a diagnosis runs: the diagnosers, the fallbacks after them, and the remediators on offer."""

    diagnosers: Sequence[Diagnoser]
    fallbacks: Sequence[Fallback] = ()
    remediators: Iterable[Remediator] = ()

    def reads(self) -> tuple[Reads, ...]:
        """Every read the diagnosers and fallbacks declare, for the gatherer."""
        return tuple(r for d in (*self.diagnosers, *self.fallbacks) for r in d.READS)


def run(s: Snapshot, registry: Registry) -> Diagnosis:
    findings: list[Finding] = []
    errors: list[DiagnoserError] = []
    for d in registry.diagnosers:
        try:
            findings.extend(d.diagnose(s))
        except Exception as e:  # one broken check must not break the diagnosis
            log.exception("diagnoser %s failed", _name(d))
            errors.append(DiagnoserError(_name(d), f"{type(e).__name__}: {e}"))
    findings = _suppress(findings)
    findings = _link_root_causes(findings)
    findings = _serving_is_not_critical(s, findings)
    for fb in registry.fallbacks:
        try:
            findings.extend(fb.diagnose(s, findings))
        except Exception as e:
            log.exception("fallback %s failed", _name(fb))
            errors.append(DiagnoserError(_name(fb), f"{type(e).__name__}: {e}"))
    findings = _offer(findings, tuple(registry.remediators))
    return Diagnosis(tuple(sorted(_dedupe(findings), key=Finding.sort_key)), tuple(errors))


def _offer(findings: list[Finding], remediators: tuple[Remediator, ...]) -> list[Finding]:
    """Each finding offers the remediators that declare its code, with the parameters they draw from it."""
    out = []
    for f in findings:
        offers = list(f.remediations)
        for r in remediators:
            if f.code in r.fixes and (suggestion := r.offer(f.code, f.variant, f.facts)) is not None:
                offers.append(Offer(r.id, dict(suggestion.params), suggestion.title))
        out.append(dataclasses.replace(f, remediations=tuple(offers)) if offers else f)
    return out


def _suppress(findings: list[Finding]) -> list[Finding]:
    present = {(f.component, f.code) for f in findings}
    return [f for f in findings
            if not any((f.component, other) in present for other in catalogue.get(f.code).suppressed_by)]


def _link_root_causes(findings: list[Finding]) -> list[Finding]:
    """A symptom (catalogue `causes: component`) names the other failures of its component as its causes."""
    out = []
    for f in findings:
        code = catalogue.get(f.code)
        if code.causes == "component":
            causes = tuple(sorted({g.code for g in findings if g.component == f.component and g.code != f.code
                                   and g.severity in ROOT_CAUSE_SEVERITIES}))
            f = dataclasses.replace(f, causes=causes, explanation=f.explanation.replace(
                "{cause_sentence}", code.cause_sentence(causes)))
        out.append(f)
    return out


def _still_serving(s: Snapshot, component: str) -> list[str]:
    """Ready revisions other than the latest that still take this component's traffic (a stuck rollout)."""
    latest = topology.latest_revision_name(s, component)
    return [n for n in topology.serving_revision_names(s, component)
            if n != latest and (r := s.revision(n)) is not None and cond.is_true(r, "Ready")]


def _serving_is_not_critical(s: Snapshot, findings: list[Finding]) -> list[Finding]:
    """Critical means the InferenceService cannot serve: not so while a previous revision takes the traffic."""
    ready = cond.is_true(s.target, "Ready")
    out = []
    for f in findings:
        serving = _still_serving(s, f.component) if f.component in ("predictor", "transformer", "explainer") else []
        if f.severity == "critical" and (serving or ready):
            note = (catalogue.note("still_serving", serving=", ".join(serving), component=f.component,
                                   latest=topology.latest_revision_name(s, f.component)) if serving else
                    catalogue.note("ready"))
            f = dataclasses.replace(f, severity="error", explanation=f"{f.explanation} {note}")
        out.append(f)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.code, f.component, f.object.name if f.object else "")
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def worst(findings: Sequence[Finding]) -> str | None:
    return min((f.severity for f in findings), key=lambda s: SEVERITY_RANK[s], default=None)
