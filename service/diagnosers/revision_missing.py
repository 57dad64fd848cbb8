"""REVISION_MISSING: Knative has no ready revision for a component.

This is a symptom that KServe reports (<Component>Ready / Ready with reason RevisionMissing); the
engine attaches the root causes found for the same component. Reads: the InferenceService's
conditions, the Knative service's latestCreated/latestReady revisions and traffic, the latest
revision's conditions. When an older revision still takes the traffic, the rollout of the new one
is stuck while the service keeps answering: a canary, reported as an error rather than critical.
"""

from __future__ import annotations

from core.objects import conditions as cond
from core.objects.fields import dig, labels_of, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Reads
from ..evidence.snapshot import Snapshot

REASON = "RevisionMissing"

READS: tuple[Reads, ...] = ()



def revision_state(rev: dict | None) -> Phrase:
    """The revision's Ready condition, in the words of the code's `revision_state` phrases."""
    if rev is None:
        return Phrase("unread")
    c = cond.condition(rev, "Ready") or {}
    if c.get("reason"):
        return Phrase.of("ready_reason", ready_status=c.get("status", "Unknown"), ready_reason=c["reason"])
    return Phrase.of("ready", ready_status=c.get("status", "Unknown"))


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        ctype = f"{component.capitalize()}Ready"
        isvc_says = cond.reason(s.target, ctype) == REASON or (component == "predictor" and
                                                              cond.reason(s.target, "Ready") == REASON)
        ksvc = s.knative_service(component)
        ksvc_says = ksvc is not None and any(c.get("reason") == REASON for c in cond.conditions(ksvc))
        latest = topology.latest_revision(s, component)
        if not (isvc_says or ksvc_says) and not (latest is not None and cond.status(latest, "Ready") == "False"
                                                 and not topology.serving_revision_names(s, component)):
            continue
        if latest is not None and cond.is_true(latest, "Ready"):
            continue
        serving = [n for n in topology.serving_revision_names(s, component)
                   if (r := s.revision(n)) is not None and cond.is_true(r, "Ready")]
        canary = bool(serving) and name_of(latest or {}) not in serving
        revision = topology.latest_revision_name(s, component) or "(none created)"
        args = {"component": component, "revision": revision, "revision_state": revision_state(latest),
                "configuration": labels_of(latest or {}).get("serving.knative.dev/configuration")
                or (name_of(ksvc) if ksvc else f"{s.name}-{component}"),
                "serving": ", ".join(serving),
                # the root causes are known only once every diagnoser ran: the engine fills this in
                "cause_sentence": "{cause_sentence}"}
        evidence = [
            build.condition(s.target, ctype),
            build.condition(ksvc, "Ready") if ksvc is not None else None,
            build.reported(ksvc, "status", {k: dig(ksvc, "status", k) for k in (
                "latestCreatedRevisionName", "latestReadyRevisionName") if dig(ksvc, "status", k)}) if ksvc else None,
            build.condition(latest, "Ready") if latest is not None else None,
        ]
        findings.append(build.make("REVISION_MISSING", component, args,
                                   evidence, variant="canary" if canary else "default",
                                   severity="error" if canary else None, obj=latest or ksvc or s.target))
    return findings
