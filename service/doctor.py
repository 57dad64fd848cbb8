"""The core the HTTP layer (and the CLI) call: gather, diagnose, report. No Flask in here.

This is where the registries meet: the diagnosers and fallbacks of service.diagnosers, the remediators
of remediations, and what they (and the trace) declare they read, handed to the gatherer and the engine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from core.kube import Kube, api_client_from
from core.kube import errors as kerr
from core.objects.fields import dig
from core.objects.names import label_problem as name_problem
from remediations import REMEDIATORS

from .config import Settings
from .diagnosers import DIAGNOSERS, FALLBACKS
from .diagnosis import build, engine, report, trace
from .diagnosis.finding import Evidence, ObjectRef
from .evidence.cache import WatchCache
from .evidence.gather import ApiUnavailable, Gatherer, GatherSettings, IsvcNotFound


@dataclass
class NotFoundAnswer:
    """What the caller gets for an InferenceService that does not exist (HTTP 404)."""

    body: dict[str, Any]


REGISTRY = engine.Registry(DIAGNOSERS, FALLBACKS, tuple(REMEDIATORS.values()))
READS = (*REGISTRY.reads(), *trace.READS)


class Doctor:
    def __init__(self, settings: Settings, kube: Kube | None = None) -> None:
        self.settings = settings
        self.kube = kube or Kube(api_client_from(settings.kubeconfig or None, settings.context or None,
                                                 pool_size=settings.workers),
                                 timeout=settings.request_timeout_seconds)
        self.pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="gather")
        self.cache = WatchCache(self.kube).start() if settings.cache == "watch" else None
        self.gatherer = Gatherer(self.kube, self.pool, READS, GatherSettings(
            deadline_seconds=settings.deadline_seconds, max_requests=settings.max_requests,
            knative_namespace=settings.knative_namespace), cache=self.cache)

    def diagnose(self, namespace: str, name: str) -> dict[str, Any] | NotFoundAnswer:
        try:
            snap = self.gatherer.gather(namespace, name)
        except IsvcNotFound as e:
            return NotFoundAnswer(not_found_body(namespace, name, e.message, e.ledger.requests))
        d = engine.run(snap, REGISTRY)
        return report.build(snap, d)

    def overview(self, namespace: str) -> dict[str, Any]:
        """Every InferenceService of a namespace with its readiness and most severe finding codes."""
        snaps, errors, ledger = self.gatherer.gather_namespace(namespace)
        items = []
        for snap in sorted(snaps, key=lambda x: x.name):
            d = engine.run(snap, REGISTRY)
            ready = report.readiness(snap)
            worst = engine.worst(d.findings)
            items.append({
                "name": snap.name, "ready": ready["status"], "reason": ready["reason"], "stale": ready["stale"],
                "deploymentMode": report.deployment_mode(snap),
                "url": str(dig(snap.target, "status", "url", default="")),
                "worstSeverity": worst,
                "codes": [f.code for f in d.findings if f.severity == worst] if worst else [],
                "findings": [{"code": f.code, "severity": f.severity, "component": f.component} for f in d.findings],
            })
        return {"namespace": namespace, "items": items, "partial": bool(errors),
                "errors": [e.as_dict() for e in errors],
                "evidence": {"readAt": snaps[0].read_at if snaps else "", "apiRequests": ledger.requests,
                             "bytesRead": ledger.bytes_read, "level": "status"}}

    def ready(self) -> tuple[bool, str]:
        """Whether the API server answers, and in cache mode whether the informers have synced (for /readyz)."""
        try:
            v = self.kube.version()
        except kerr.KubeError as e:
            return False, e.message
        if self.cache is not None and not self.cache.wait_synced(0):
            return False, "the watch cache has not synced yet"
        return True, str(v.get("gitVersion", ""))

    def close(self) -> None:
        if self.cache is not None:
            self.cache.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)


def not_found_body(namespace: str, name: str, message: str, requests: int) -> dict[str, Any]:
    finding = build.make("ISVC_NOT_FOUND", "service", {"namespace": namespace, "name": name},
                         [Evidence("observed", ObjectRef("InferenceService", name, namespace,
                                                         "serving.kserve.io/v1beta1"), "", 404, note=message)])
    return {
        "error": {"code": "ISVC_NOT_FOUND", "message": f"InferenceService {namespace}/{name} not found",
                  "details": {"namespace": namespace, "name": name, "apiMessage": message}},
        "target": {"namespace": namespace, "name": name, "uid": ""},
        "findings": [finding.as_dict()],
        "evidence": {"apiRequests": requests},
    }


__all__ = ["ApiUnavailable", "Doctor", "NotFoundAnswer", "name_problem"]
