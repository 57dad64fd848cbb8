"""IMAGE_PULL_FAILED: the kubelet cannot pull an image of a component's pod.

Reads: current pods (containers and init containers waiting in ErrImagePull, ImagePullBackOff,
InvalidImageName, ...), their `Failed` events ("Failed to pull image ...: not found / unauthorized /
x509 / timeout"), and the latest revision's reason (ImagePullBackOff) as reported context. This is
the kubelet failing on a node, not Knative's tag resolution (IMAGE_TAG_RESOLUTION_FAILED).
"""

from __future__ import annotations

import re

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.snapshot import Snapshot
from ..objects import inference_service as isvclib
from ..objects import pods as podlib
from ..objects.fields import name_of

ADVICE = {
    "not_found": "The image or tag does not exist in the registry: fix the image reference (the InferenceService's "
                 "container image, or the ServingRuntime's).",
    "unauthorized": "The registry refused the node's credentials: add an imagePullSecret for it to the "
                    "InferenceService's service account (or `imagePullSecrets` in the spec).",
    "x509": "The node does not trust the registry's TLS certificate: install the registry's CA on the nodes.",
    "network": "The node cannot reach the registry: check DNS, egress and proxies from the nodes.",
    "invalid": "The image reference is not valid: fix its spelling.",
    "default": "Check the image reference and that the nodes can reach and authenticate to the registry.",
}


def classify(text: str) -> str:
    t = text.lower()
    if "invalidimagename" in t or "invalid reference format" in t:
        return "invalid"
    if "x509" in t:
        return "x509"
    if re.search(r"not found|manifest unknown|notfound|does not exist", t):
        return "not_found"
    if re.search(r"unauthori[sz]ed|denied|\b401\b|\b403\b|authentication required|authorization failed", t):
        return "unauthorized"
    if re.search(r"timeout|no such host|connection refused|i/o timeout|dial tcp|network is unreachable", t):
        return "network"
    return "default"


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in isvclib.components(s.isvc):
        seen: set[str] = set()
        current = topology.current_pods(s, component)
        for pod in current:
            for c in podlib.containers(pod):
                if not c.image_pull_failing or c.name in seen:
                    continue
                seen.add(c.name)
                image = str(podlib.spec_container(pod, c.name).get("image") or "(unknown image)")
                failed = [e for e in s.events_for("Pod", name_of(pod)) if e.get("reason") in ("Failed", "BackOff")
                          and image in str(e.get("message", ""))]
                pulls = [e for e in failed if "Failed to pull image" in str(e.get("message", ""))]
                detail = str(pulls[-1].get("message")) if pulls else c.waiting_message or c.waiting_reason
                kind = classify(detail + " " + c.waiting_reason)
                args = {"component": component, "image": image, "container": c.name, "pod": name_of(pod),
                        "reason": c.waiting_reason, "detail": build.quote(detail, 400), "advice": ADVICE[kind]}
                affected = [p for p in current if (x := podlib.container(p, c.name)) and x.image_pull_failing]
                evidence = [
                    build.observed(pod, c.path, build.container_value(c),
                                   f"{len(affected)} of {len(current)} current pods of the {component} cannot pull it"),
                    build.observed(pod, f"{podlib.spec_container_path(pod, c.name)}.image", image),
                    *[build.event(e) for e in pulls[-1:]],
                ]
                latest = topology.latest_revision(s, component)
                if latest is not None:
                    evidence.append(build.condition(latest, "Ready"))
                findings.append(build.make("IMAGE_PULL_FAILED", component, args, evidence, obj=pod))
    return findings
