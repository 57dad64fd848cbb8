"""The diagnosis as the API answers it: target, readiness, components, findings, trace, gaps, cost."""

from __future__ import annotations

from typing import Any

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects.fields import dig

from ..evidence.snapshot import Snapshot
from . import engine, trace
from .engine import Diagnosis


def deployment_mode(s: Snapshot) -> str:
    return isvclib.deployment_mode(s.target, has_knative=bool(s.knative_services or s.revisions),
                                   has_raw=bool(s.deployments))


def readiness(s: Snapshot) -> dict[str, Any]:
    ready = cond.condition(s.target, "Ready") or {}
    out: dict[str, Any] = {"status": ready.get("status", "Unknown"), "reason": ready.get("reason", ""),
                           "message": ready.get("message", "")}
    gen, observed = dig(s.target, "metadata", "generation"), dig(s.target, "status", "observedGeneration")
    out["generation"], out["observedGeneration"] = gen, observed
    out["stale"] = isvclib.is_stale(s.target)
    if ready.get("lastTransitionTime"):
        out["since"] = ready["lastTransitionTime"]
    return out


def components(s: Snapshot) -> list[dict[str, Any]]:
    out = []
    for c in isvclib.components(s.target):
        st = isvclib.component_status(s.target, c)
        ready = isvclib.component_ready_condition(s.target, c)
        out.append({
            "name": c,
            "ready": ready.get("status", "Unknown"),
            "reason": ready.get("reason", ""),
            "url": st.get("url") or dig(st, "address", "url") or "",
            "latestCreatedRevision": st.get("latestCreatedRevision", ""),
            "latestReadyRevision": st.get("latestReadyRevision", ""),
            "traffic": [t for t in st.get("traffic") or [] if isinstance(t, dict)],
        })
    return out


def build(s: Snapshot, d: Diagnosis) -> dict[str, Any]:
    mode = deployment_mode(s)
    findings = list(d.findings)
    return {
        "target": {"namespace": s.namespace, "name": s.name, "uid": dig(s.target, "metadata", "uid", default="")},
        "ready": readiness(s),
        "deploymentMode": mode,
        "url": dig(s.target, "status", "url", default=""),
        "components": components(s),
        "findings": [f.as_dict() for f in findings],
        "worstSeverity": engine.worst(findings),
        "trace": trace.build(s, mode, findings),
        "partial": bool(s.errors or d.errors),
        "errors": [e.as_dict() for e in s.errors] + [{"what": f"diagnoser {e.diagnoser}", "resource": "",
                                                        "code": 0, "reason": "DiagnoserError", "message": e.error}
                                                       for e in d.errors],
        "evidence": {"readAt": s.read_at, "ageSeconds": s.cache_age_seconds or 0.0,
                     "apiRequests": s.requests, "bytesRead": s.bytes_read, "truncated": list(s.truncated)},
    }
