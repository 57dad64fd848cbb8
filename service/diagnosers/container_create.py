"""CONTAINER_CREATE_FAILED: a container cannot be created, or its pod's volumes cannot be mounted.

The kubelet reports CreateContainerConfigError when a Secret or ConfigMap the container's env or
envFrom names does not exist (KServe's storage credentials are a common case), CreateContainerError
or RunContainerError when the runtime refuses it, and FailedMount events when a volume (a PVC, a
Secret volume) cannot be mounted, leaving the pod in ContainerCreating. Reads: the current pods'
container states and their Warning events.
"""

from __future__ import annotations

import re

from core.objects import pods as podlib
from core.objects.fields import name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

MOUNT_REASONS = ("FailedMount", "FailedAttachVolume")
GENERIC_MOUNT = re.compile(r"^Unable to attach or mount volumes", re.I)

READS = (Reads((Need.POD_EVENTS,)),)



def advice(detail: str) -> Phrase:
    """What to do, by what the kubelet's message names (the words are the code's `advice` phrases)."""
    d = detail.lower()
    if "multi-attach" in d:
        m = re.search(r"used by pod\(s\) ([\w.,-]+)", detail)
        return Phrase.of("multi_attach", holder=m.group(1)) if m else Phrase("multi_attach_unnamed")
    if m := re.search(r'secret "([^"]+)" not found', d):
        return Phrase.of("secret", secret=m.group(1))
    if m := re.search(r'configmap "([^"]+)" not found', d):
        return Phrase.of("configmap", configmap=m.group(1))
    if "persistentvolumeclaim" in d or "pvc" in d:
        return Phrase("pvc")
    if "couldn't find key" in d:
        return Phrase("missing_key")
    return Phrase("default")


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        for a in topology.affected(s, component, lambda _, c: c.waiting_reason in podlib.CREATE_REASONS):
            pod, c = a.pod, a.container
            detail = c.waiting_message or c.waiting_reason
            args = {"component": component, "container": c.name, "pod": name_of(pod), "reason": c.waiting_reason,
                    "detail": build.quote(detail, 400), "advice": advice(detail)}
            evidence = [build.observed(pod, c.path, build.container_value(c), f"{a.note} show it"),
                        *[build.event(e) for e in s.events_for("Pod", name_of(pod))
                          if e.get("type") == "Warning" and e.get("reason") == "Failed"][-1:]]
            findings.append(build.make("CONTAINER_CREATE_FAILED", component, args, evidence, obj=pod))
        if any(f.component == component for f in findings):
            continue
        for pod in topology.current_pods(s, component):
            mounts = [e for e in s.events_for("Pod", name_of(pod)) if e.get("reason") in MOUNT_REASONS]
            if not mounts or podlib.phase(pod) != "Pending" or any(c.running for c in podlib.containers(pod)):
                continue
            attach = [e for e in mounts if e.get("reason") == "FailedAttachVolume"]
            # the kubelet repeats a generic "Unable to attach or mount volumes ... timed out" every two minutes;
            # the event that names the missing object is the one to quote
            specific = [e for e in mounts if not GENERIC_MOUNT.search(str(e.get("message", "")))]
            detail = str((attach or specific or mounts)[-1].get("message", ""))
            args = {"component": component, "container": "", "pod": name_of(pod), "reason": mounts[-1]["reason"],
                    "detail": build.quote(detail, 400), "advice": advice(detail), "pod_state": build.pod_state(pod)}
            shown = (specific[-1:] + [e for e in mounts if e not in specific][-1:]) if specific else mounts[-2:]
            findings.append(build.make("CONTAINER_CREATE_FAILED", component, args,
                                       [build.event(e) for e in shown], variant="mount", obj=pod))
            break
    return findings
