"""QUOTA_EXCEEDED: pods are refused by a ResourceQuota or a LimitRange.

When admission refuses a pod, the ReplicaSet records a FailedCreate event, the Deployment a
ReplicaFailure condition, and Knative copies that onto the revision (ResourcesAvailable False,
reason FailedCreate). Reads: those, and the namespace's ResourceQuotas (used against hard) and
LimitRanges when they were read.
"""

from __future__ import annotations

import re

from core.objects import conditions as cond
from core.objects.fields import dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot


def _podless(s: Snapshot) -> bool:
    """A component Deployment that wants replicas but has no pod at all: admission may have refused them."""
    for d in s.deployments:
        wanted = dig(d, "spec", "replicas", default=1)
        component = str(dig(d, "metadata", "labels", "component", default=""))
        if isinstance(wanted, int) and wanted > 0 and not s.pods_of(component):
            return True
    return False


def _pods_refused(s: Snapshot) -> bool:
    """A revision or Deployment reports that it could not create pods, or an event says so."""
    for obj in (*s.revisions, *s.deployments):
        for c in cond.conditions(obj):
            if c.get("reason") == "FailedCreate" or (c.get("type") == "ReplicaFailure" and c.get("status") == "True"):
                return True
    return any(e.get("reason") == "FailedCreate" for e in s.events)


# Only a ReplicaSet's FailedCreate events say why a Deployment with no pod has none.
READS = (Reads((Need.REPLICASET_FAILED_CREATE_EVENTS,), when=_podless),
         Reads((Need.RESOURCE_QUOTAS,), when=lambda s: _pods_refused(s) or _podless(s)))


_REFUSED = re.compile(r"exceeded quota|failed quota|forbidden: (maximum|minimum)|must specify (limits|requests)|"
                      r"is forbidden: .*(LimitRange|quota)|max limit to request ratio", re.I)


def _refusal(obj: Obj) -> dict | None:
    for c in cond.conditions(obj):
        msg = str(c.get("message", ""))
        if (c.get("reason") == "FailedCreate" or c.get("type") == "ReplicaFailure") and _REFUSED.search(msg):
            return c
    return None


def advice(message: str) -> Phrase:
    """What to do, by what admission says (the words are the code's `advice` phrases)."""
    if "exceeded quota" in message:
        return Phrase("exceeded")
    if "failed quota" in message or "must specify" in message:
        return Phrase("must_specify")
    return Phrase("limit_range")


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        latest = topology.latest_revision(s, component)
        sources: list[tuple[Obj, dict]] = []
        for obj in [latest, *s.deployments_of(component)]:
            if obj is not None and (c := _refusal(obj)) is not None:
                sources.append((obj, c))
        owners = tuple(f"{name_of(d)}-" for d in s.deployments_of(component))
        events = [e for e in s.events
                  if e.get("reason") == "FailedCreate" and _REFUSED.search(str(e.get("message", "")))
                  and owners and str(dig(e, "involvedObject", "name", default="")).startswith(owners)]
        if not sources and not events:
            continue
        message = str(sources[0][1].get("message") if sources else events[-1].get("message"))
        args = {"component": component, "message": build.quote(message, 400) + ".", "advice": advice(message)}
        evidence = [build.condition(obj, str(c.get("type"))) for obj, c in sources[:2]]
        evidence += [build.event(e) for e in events[-1:]]
        for q in s.resource_quotas or ():
            usage = {"hard": dig(q, "status", "hard"), "used": dig(q, "status", "used")}
            evidence.append(build.observed(q, "status", usage,
                                           f"ResourceQuota {name_of(q)}"))
        for lr in s.limit_ranges or ():
            evidence.append(build.declared(lr, "spec.limits", dig(lr, "spec", "limits"), f"LimitRange {name_of(lr)}"))
        findings.append(build.make("QUOTA_EXCEEDED", component, args, evidence,
                                   obj=sources[0][0] if sources else s.target))
    return findings
