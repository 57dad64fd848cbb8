"""POD_UNSCHEDULABLE: a component's pod stays Pending because no node fits it.

Reads: current pods with PodScheduled False (reason Unschedulable), their FailedScheduling and
cluster-autoscaler NotTriggerScaleUp events, what the pod requests, and the latest revision's
ResourcesAvailable (Unschedulable) as reported context. Only this InferenceService's pods are
looked at: a neighbour holding the GPU is context in the scheduler's message, never a finding.
"""

from __future__ import annotations

import re

from core.objects import conditions as cond
from core.objects.fields import as_dict, as_list, dig, name_of
from core.quantities import QuantityError, format_bytes, parse

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot

READS = (Reads((Need.POD_EVENTS,)),)



def requests_of(pod: Obj) -> dict[str, str]:
    """The pod's total requests per resource, as the scheduler counts them (regular containers)."""
    totals: dict[str, object] = {}
    for c in as_list(dig(pod, "spec", "containers")):
        for k, v in as_dict(dig(c, "resources", "requests")).items():
            try:
                totals[k] = totals.get(k, 0) + parse(v)  # type: ignore[operator]
            except QuantityError:
                continue
    out = {}
    for k, q in totals.items():
        out[k] = format_bytes(q) if k in ("memory", "ephemeral-storage") else f"{q.normalize():f}"  # type: ignore[attr-defined]
    return out


def advice(message: str) -> list[Phrase]:
    """What to do, one sentence per thing the scheduler's message names (the code's `advice` phrases)."""
    m = message.lower()
    parts = [Phrase.of("gpu" if "gpu" in res else "insufficient", resource=res)
             for res in sorted({r.rstrip(".") for r in re.findall(r"insufficient ([\w./-]+)", m)})]
    if "taint" in m:
        parts.append(Phrase("taint"))
    if "affinity" in m or "selector" in m:
        parts.append(Phrase("affinity"))
    if "persistentvolumeclaim" in m or "volume" in m:
        parts.append(Phrase("volume"))
    return parts or [Phrase("unknown")]


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        current = topology.current_pods(s, component)
        pending = [p for p in current if cond.status(p, "PodScheduled") == "False"
                   and cond.reason(p, "PodScheduled") in ("Unschedulable", "SchedulerError", "")]
        if not pending:
            if not current and (f := _reported_only(s, component)) is not None:
                findings.append(f)
            continue
        pod = pending[0]
        events = s.events_for("Pod", name_of(pod))
        failed = [e for e in events if e.get("reason") == "FailedScheduling"]
        scale = [e for e in events if e.get("reason") in ("NotTriggerScaleUp", "FailedScaleUp")]
        message = cond.message(pod, "PodScheduled") or (str(failed[-1].get("message")) if failed else "")
        requests = requests_of(pod)
        args = {"component": component, "pod": name_of(pod), "message": " ".join(message.split()),
                "autoscaler": Phrase.of("refuses", autoscaler_message=str(scale[-1].get("message")))
                if scale else Phrase("none"),
                "requests": ", ".join(f"{k}={v}" for k, v in sorted(requests.items())) or "nothing",
                "advice": advice(message)}
        evidence = [
            build.condition(pod, "PodScheduled", f"{len(pending)} of {len(current)} current pods of the {component} "
                                                 "are unschedulable"),
            *[build.event(e) for e in failed[-1:] + scale[-1:]],
            build.observed(pod, "spec.containers[*].resources.requests", requests or None, "what the pod asks for"),
        ]
        latest = topology.latest_revision(s, component)
        if latest is not None and cond.reason(latest, "ResourcesAvailable") == "Unschedulable":
            evidence.append(build.condition(latest, "ResourcesAvailable"))
        findings.append(build.make("POD_UNSCHEDULABLE", component, args, evidence, obj=pod))
    return findings


def _reported_only(s: Snapshot, component: str) -> Finding | None:
    """The revision's Unschedulable, when no pod of it was read."""
    latest = topology.latest_revision(s, component)
    if latest is None or cond.reason(latest, "ResourcesAvailable") != "Unschedulable":
        return None
    message = " ".join(cond.message(latest, "ResourcesAvailable").split())
    args = {"component": component, "revision": name_of(latest), "message": message, "advice": advice(message),
            "pod": "", "requests": ""}
    return build.make("POD_UNSCHEDULABLE", component, args, [build.condition(latest, "ResourcesAvailable")],
                      variant="reported", obj=latest)
