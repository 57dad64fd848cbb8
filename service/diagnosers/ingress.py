"""INGRESS_NOT_CONFIGURED: the model runs, but the network path to it never became ready.

Reads: IngressNotConfigured on the InferenceService, Knative service or route conditions; the
Knative Ingress (LoadBalancerReady); the revision's readiness (an ingress that waits for a
revision that is not ready is a consequence, not this finding); and whether the networking
controller's log was read.
"""

from __future__ import annotations

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.snapshot import Snapshot
from ..objects import conditions as cond
from ..objects import inference_service as isvclib
from ..objects.fields import name_of

REASON = "IngressNotConfigured"


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    components = isvclib.components(s.isvc)
    for component in components:
        ksvc = s.knative_service(component)
        latest = topology.latest_revision(s, component)
        holders = [(obj, c) for obj in (s.isvc, ksvc) if obj is not None for c in cond.conditions(obj)
                   if c.get("reason") == REASON and c.get("status") != "True"]
        if not holders:
            continue
        if latest is not None and not cond.is_true(latest, "Ready"):
            continue  # the route waits for a revision: REVISION_MISSING and its causes explain it
        obj, c = next(((o, c) for o, c in holders if o is ksvc), holders[0])
        kingress = next((k for k in s.knative_ingresses if name_of(k) == name_of(ksvc or {})), None)
        host = f"{name_of(ksvc) if ksvc else s.name + '-' + component}.{s.namespace}"
        args = {"component": component, "revision": name_of(latest) if latest else "(unknown)",
                "resource": f"{obj.get('kind')} {name_of(obj)}", "reason": REASON,
                "message_suffix": build.suffix(str(c.get("message", ""))), "knative_namespace": "knative-serving",
                "host": host}
        evidence = [
            build.condition(obj, str(c.get("type"))),
            build.condition(s.isvc, "Ready") if obj is not s.isvc else None,
            build.condition(kingress, "LoadBalancerReady") if kingress is not None else None,
            build.condition(latest, "Ready", "the revision itself is ready") if latest is not None else None,
        ]
        variant = "default" if s.controller_logs else "probes_unknown"
        findings.append(build.make("INGRESS_NOT_CONFIGURED", "ingress", args, evidence, variant=variant,
                                   obj=kingress or ksvc or s.isvc))
        break  # one ingress: the components share the InferenceService's route
    return findings
