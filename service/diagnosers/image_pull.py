"""IMAGE_PULL_FAILED: the kubelet cannot pull an image of a component's pod.

Reads: current pods (containers and init containers waiting in ErrImagePull, ImagePullBackOff,
InvalidImageName, ...), their `Failed` events ("Failed to pull image ...: not found / unauthorized /
x509 / timeout"), and the latest revision's reason (ImagePullBackOff) as reported context. This is
the kubelet failing on a node, not Knative's tag resolution (IMAGE_TAG_RESOLUTION_FAILED).
"""

from __future__ import annotations

import re

from core.objects import conditions as cond
from core.objects import pods as podlib
from core.objects.fields import name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

# Containers KServe adds to the pod from its own configuration, not from the InferenceService.
INJECTED = (podlib.STORAGE_INITIALIZER, podlib.AGENT, "logger")

READS = (Reads((Need.POD_EVENTS,)),)



def classify(text: str) -> str:
    t = text.lower()
    if "invalidimagename" in t or "invalid reference format" in t:
        return "invalid"
    if "x509" in t:
        return "x509"
    # "pull access denied, repository does not exist or may require authorization" is containerd's answer to
    # missing credentials as much as to a missing repository: credentials first
    if re.search(r"unauthori[sz]ed|denied|\b401\b|\b403\b|authentication required|authorization failed", t):
        return "unauthorized"
    if re.search(r"not found|manifest unknown|notfound|does not exist", t):
        return "not_found"
    if re.search(r"timeout|no such host|connection refused|i/o timeout|dial tcp|network is unreachable", t):
        return "network"
    return "default"


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        for a in topology.affected(s, component, lambda _, c: c.image_pull_failing):
            pod, c = a.pod, a.container
            image = str(podlib.spec_container(pod, c.name).get("image") or "(unknown image)")
            failed = [e for e in s.events_for("Pod", name_of(pod)) if e.get("reason") in ("Failed", "BackOff")
                      and image in str(e.get("message", ""))]
            pulls = [e for e in failed if "Failed to pull image" in str(e.get("message", ""))]
            detail = str(pulls[-1].get("message")) if pulls else c.waiting_message or c.waiting_reason
            kind = classify(detail + " " + c.waiting_reason)
            advice = [Phrase(kind)]
            if c.name in INJECTED:
                advice = [Phrase("injected")] + ([Phrase(kind)] if kind != "default" else [])
            args = {"component": component, "image": image, "container": c.name, "pod": name_of(pod),
                    "reason": c.waiting_reason, "detail": build.quote(detail, 400), "advice": advice}
            evidence = [
                build.observed(pod, c.path, build.container_value(c), f"{a.note} cannot pull it"),
                build.observed(pod, f"{podlib.spec_container_path(pod, c.name)}.image", image),
                *[build.event(e) for e in pulls[-1:]],
            ]
            latest = topology.latest_revision(s, component)
            if latest is not None:
                evidence.append(build.condition(latest, "Ready"))
            findings.append(build.make("IMAGE_PULL_FAILED", component, args, evidence, obj=pod))
        if not topology.current_pods(s, component) and (f := _reported_only(s, component)) is not None:
            findings.append(f)
    return findings


def _reported_only(s: Snapshot, component: str) -> Finding | None:
    """The revision's pull failure, when no pod of it is left to look at."""
    latest = topology.latest_revision(s, component)
    if latest is None:
        return None
    for type_ in ("ResourcesAvailable", "Ready"):
        c = cond.condition(latest, type_) or {}
        if c.get("status") == "False" and c.get("reason") in podlib.IMAGE_PULL_REASONS:
            message = str(c.get("message", ""))
            m = re.search(r'image "([^"]+)"', message)
            args = {"component": component, "image": m.group(1) if m else "(unknown image)",
                    "revision": name_of(latest), "reason": c.get("reason"), "detail": build.quote(message, 400),
                    "advice": Phrase(classify(message)), "container": "", "pod": ""}
            return build.make("IMAGE_PULL_FAILED", component, args, [build.condition(latest, type_)],
                              variant="reported", obj=latest)
    return None
