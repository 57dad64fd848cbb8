"""ISVC_NOT_READY: the fallback when the InferenceService is not Ready and nothing specific was found.

Runs after every other diagnoser, with their findings: it reports only when none of them is an
error or critical finding (and the status is not stale), so it never stands beside a specific cause.
Reads the InferenceService's conditions and its Warning events: when KServe could not create what it
needs (an admission webhook refusing the Knative service, say) the event is the one thing naming why.
"""

from __future__ import annotations

from core.objects import conditions as cond

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence.needs import Reads
from ..evidence.snapshot import Snapshot

READS: tuple[Reads, ...] = ()  # wave one has the InferenceService's events



def diagnose(s: Snapshot, findings: list[Finding]) -> list[Finding]:
    if not s.target or cond.is_true(s.target, "Ready"):
        return []
    if any(f.severity in ("critical", "error") or f.code == "STATUS_STALE" for f in findings):
        return []  # a specific cause, or a status that cannot be trusted to say "not ready"
    ready = cond.condition(s.target, "Ready") or {}
    args = {"name": s.name, "namespace": s.namespace,
            "reason": ready.get("reason")
            or (Phrase("no_condition") if not ready else Phrase.of("status", ready_status=ready.get("status"))),
            "message_suffix": build.suffix(str(ready.get("message", "")))}
    warnings = [e for e in s.events_for("InferenceService", s.name) if e.get("type") == "Warning"]
    args["events_sentence"] = Phrase.of("warning", warning_reason=warnings[-1].get("reason"),
                                        warning=build.quote(str(warnings[-1].get("message", "")), 400)) \
        if warnings else Phrase("none")
    evidence = [build.condition(s.target, str(c.get("type"))) for c in cond.failing(s.target)[:5]]
    if not evidence:
        evidence = [build.reported(s.target, "status.conditions", cond.conditions(s.target) or None)]
    evidence += [build.event(e) for e in warnings[-2:]]
    return [build.make("ISVC_NOT_READY", "service", args, evidence, obj=s.target)]
