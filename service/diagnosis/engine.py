"""The diagnosis engine: every diagnoser over one snapshot, then the rules that relate findings.

A diagnoser that raises is reported as an error of that diagnoser and the others still run ("the
checker broke" is never confused with "the cluster is broken"). After they ran: findings that a more
specific one explains are dropped (catalogue `suppressed_by`), REVISION_MISSING names the root causes
found for its component, a service that is Ready has no critical finding (critical means it cannot
serve: failures of a rollout while the previous revision serves are errors), the fallbacks see the
rest, and the result is sorted by severity, component, code and object.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..diagnosers import DIAGNOSERS, FALLBACKS
from ..evidence import topology
from ..evidence.snapshot import Snapshot
from ..objects import conditions as cond
from . import catalogue
from .finding import SEVERITY_RANK, Finding

log = logging.getLogger(__name__)

Diagnoser = Callable[[Snapshot], list[Finding]]
Fallback = Callable[[Snapshot, list[Finding]], list[Finding]]
ROOT_CAUSE_SEVERITIES = ("critical", "error")


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


def _name(fn: Callable[..., object]) -> str:
    return fn.__module__.rsplit(".", 1)[-1]


def run(s: Snapshot, diagnosers: Sequence[Diagnoser] = DIAGNOSERS,
        fallbacks: Sequence[Fallback] = FALLBACKS) -> Diagnosis:
    findings: list[Finding] = []
    errors: list[DiagnoserError] = []
    for d in diagnosers:
        try:
            findings.extend(d(s))
        except Exception as e:  # one broken check must not break the diagnosis
            log.exception("diagnoser %s failed", _name(d))
            errors.append(DiagnoserError(_name(d), f"{type(e).__name__}: {e}"))
    findings = _suppress(findings)
    findings = _link_root_causes(findings)
    findings = _serving_is_not_critical(s, findings)
    for fb in fallbacks:
        try:
            findings.extend(fb(s, findings))
        except Exception as e:
            log.exception("fallback %s failed", _name(fb))
            errors.append(DiagnoserError(_name(fb), f"{type(e).__name__}: {e}"))
    return Diagnosis(tuple(sorted(_dedupe(findings), key=Finding.sort_key)), tuple(errors))


def _suppress(findings: list[Finding]) -> list[Finding]:
    present = {(f.component, f.code) for f in findings}
    return [f for f in findings
            if not any((f.component, other) in present for other in catalogue.get(f.code).suppressed_by)]


def _link_root_causes(findings: list[Finding]) -> list[Finding]:
    out = []
    for f in findings:
        if f.code == "REVISION_MISSING":
            causes = tuple(sorted({g.code for g in findings if g.component == f.component and g.code != f.code
                                   and g.severity in ROOT_CAUSE_SEVERITIES}))
            sentence = (f"The root cause found below it: {', '.join(causes)} (see those findings)." if causes else
                        "No root cause was found in what could be read: look at the revision's pods and events "
                        "(`kubectl describe revision`).")
            f = dataclasses.replace(f, causes=causes, explanation=f.explanation.replace("{cause_sentence}", sentence))
        out.append(f)
    return out


def _still_serving(s: Snapshot, component: str) -> list[str]:
    """Ready revisions other than the latest that still take this component's traffic (a stuck rollout)."""
    latest = topology.latest_revision_name(s, component)
    return [n for n in topology.serving_revision_names(s, component)
            if n != latest and (r := s.revision(n)) is not None and cond.is_true(r, "Ready")]


def _serving_is_not_critical(s: Snapshot, findings: list[Finding]) -> list[Finding]:
    """Critical means the InferenceService cannot serve: not so while a previous revision takes the traffic."""
    ready = cond.is_true(s.isvc, "Ready")
    out = []
    for f in findings:
        serving = _still_serving(s, f.component) if f.component in ("predictor", "transformer", "explainer") else []
        if f.severity == "critical" and (serving or ready):
            note = (f" Revision {', '.join(serving)} still serves the {f.component}'s traffic; this failure blocks "
                    f"the rollout of revision {topology.latest_revision_name(s, f.component)}." if serving else
                    " The InferenceService is Ready and still serves, so this is not (yet) an outage.")
            f = dataclasses.replace(f, severity="error", explanation=f.explanation + note)
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
