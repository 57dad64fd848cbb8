"""IMAGE_TAG_RESOLUTION_FAILED: Knative cannot resolve an image tag to a digest.

Knative's controller resolves every tag to a digest before it creates a revision's Deployment; when
the registry refuses it (401/403), does not know the tag (404), presents an untrusted certificate
(x509) or cannot be reached (timeout), the revision stays without a Deployment or pods. Reads: the
latest revision's ContainerHealthy/Ready (reason ContainerMissing, message `Unable to fetch image
...: failed to resolve image to digest: ...`), the InferenceService's
<Component>ConfigurationReady (RevisionFailed) and the revision's InternalError events.
"""

from __future__ import annotations

import re

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects.fields import name_of

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

MARKERS = ("failed to resolve image to digest", "Unable to fetch image")
_IMAGE = re.compile(r'Unable to fetch image "([^"]+)"')

READS = (Reads((Need.REVISION_EVENTS,)),)



def registry_of(image: str) -> str:
    """The registry host as Knative matches it: Docker Hub short names are index.docker.io."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return "index.docker.io" if first in ("docker.io", "registry-1.docker.io") else first
    return "index.docker.io"


def classify(message: str) -> tuple[str, str]:
    """(variant, the registry's own words)."""
    detail = message.split("failed to resolve image to digest:", 1)[-1].strip() or message
    m = message.lower()
    if "x509" in m or "certificate" in m:
        return "x509", detail
    if re.search(r"\b40[13]\b|unauthori[sz]ed|denied|not authorized|authentication required|forbidden", m):
        return "unauthorized", detail
    if re.search(r"\b404\b|manifest_unknown|name_unknown|manifest unknown|not found", m):
        return "not_found", detail
    if re.search(r"timeout|deadline exceeded|i/o timeout|connection refused|no such host|dial tcp|unreachable", m):
        return "timeout", detail
    return "default", detail


def _message(s: Snapshot, component: str) -> tuple[str, list]:
    latest = topology.latest_revision(s, component)
    evidence = []
    message = ""
    if latest is not None:
        for type_ in ("ContainerHealthy", "Ready"):
            c = cond.condition(latest, type_)
            if c and c.get("status") == "False" and any(k in str(c.get("message", "")) for k in MARKERS):
                message = message or str(c.get("message"))
                evidence.append(build.condition(latest, type_))
        evidence += [build.event(e) for e in s.events_for("Revision", name_of(latest))
                     if any(k in str(e.get("message", "")) for k in MARKERS)][-1:]
    ctype = f"{component.capitalize()}ConfigurationReady"
    c = cond.condition(s.target, ctype)
    if c and any(k in str(c.get("message", "")) for k in MARKERS):
        message = message or str(c.get("message"))
        evidence.append(build.condition(s.target, ctype))
    return message, evidence


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        message, evidence = _message(s, component)
        if not message:
            continue
        m = _IMAGE.search(message)
        image = m.group(1) if m else "(unknown image)"
        registry = registry_of(image) if m else "(unknown registry)"
        variant, detail = classify(message)
        revision = topology.latest_revision_name(s, component) or "(unknown)"
        args = {"component": component, "image": image, "registry": registry, "status": detail.rstrip("."),
                "revision": revision, "knative_namespace": "knative-serving"}
        sc = next(iter(isvclib.serving_containers(s.target, component)), None)
        if sc is not None and sc.spec.get("image"):
            evidence.insert(0, build.declared(s.target, f"{sc.path}.image", sc.spec["image"]))
        findings.append(build.make("IMAGE_TAG_RESOLUTION_FAILED", component, args, evidence, variant=variant,
                                   obj=topology.latest_revision(s, component) or s.target))
    return findings
