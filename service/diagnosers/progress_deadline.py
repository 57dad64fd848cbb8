"""PROGRESS_DEADLINE_EXCEEDED: a revision or Deployment gave up waiting for its pods.

Reads: the latest revision's conditions and the component's Deployments' `Progressing` condition
(reason ProgressDeadlineExceeded). Knative does not always say ProgressDeadlineExceeded: when the
first pod never becomes ready, the revision's `Active` condition turns False with reason TimedOut
("The target could not be activated.") and Ready carries the pod's last waiting reason
(PodInitializing, ContainerCreating), after which the Deployment is scaled to zero and looks healthy.
"""

from __future__ import annotations

from core.objects import conditions as cond
from core.objects.fields import labels_of, name_of

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Reads
from ..evidence.snapshot import Obj, Snapshot

REASON = "ProgressDeadlineExceeded"
# Where a pod that is merely slow still is when Knative gives up; any other reason (ImagePullBackOff,
# CrashLoopBackOff, CreateContainerConfigError, ...) is a failure that the deadline only cut short.
SLOW_STAGES = frozenset({"PodInitializing", "ContainerCreating", "Deploying", "Pending", "Unknown", "not ready"})

READS: tuple[Reads, ...] = ()



def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        latest = topology.latest_revision(s, component)
        candidates = [latest] if latest is not None else []
        latest_name = topology.latest_revision_name(s, component)
        candidates += [d for d in s.deployments_of(component)
                       if not latest_name or labels_of(d).get("serving.knative.dev/revision") in (None, latest_name)]
        for obj in candidates:
            hit = next((c for c in cond.conditions(obj) if c.get("reason") == REASON and c.get("status") != "True"),
                       None)
            if hit is None:
                continue
            args = {"component": component, "resource": f"{obj.get('kind')} {obj['metadata']['name']}",
                    "reason": REASON, "message_suffix": build.suffix(str(hit.get("message", "")))}
            findings.append(build.make("PROGRESS_DEADLINE_EXCEEDED", component, args,
                                       [build.condition(obj, str(hit.get("type")))], obj=obj))
            break
        else:
            if latest is not None and (f := _activation_timeout(latest, component)) is not None:
                findings.append(f)
    return findings


def _activation_timeout(rev: Obj, component: str) -> Finding | None:
    active = cond.condition(rev, "Active") or {}
    if active.get("status") != "False" or active.get("reason") != "TimedOut" or cond.is_true(rev, "Ready"):
        return None
    stage = cond.reason(rev, "Ready") or cond.reason(rev, "ResourcesAvailable") or "not ready"
    args = {"component": component, "revision": name_of(rev), "resource": f"Revision {name_of(rev)}",
            "message_suffix": build.suffix(str(active.get("message", ""))), "stage": stage,
            "reason": "TimedOut"}
    evidence = [build.condition(rev, "Active"), build.condition(rev, "Ready"),
                build.condition(rev, "ResourcesAvailable")]
    variant = "activation" if stage in SLOW_STAGES else "activation_failed"
    return build.make("PROGRESS_DEADLINE_EXCEEDED", component, args, evidence, variant=variant, obj=rev)
