"""The core the HTTP layer (and the CLI) call: gather, diagnose, report. No Flask in here."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .diagnosis import engine, report
from .diagnosis.finding import Evidence, Finding, ObjectRef
from .evidence.cache import WatchCache
from .evidence.gather import ApiUnavailable, Gatherer, GatherSettings, IsvcNotFound
from .kube import Kube, api_client_from
from .kube import errors as kerr
from .objects.fields import dig

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 63


def name_problem(value: str, what: str) -> str | None:
    """Why a namespace or InferenceService name is not a DNS-1123 label, or None."""
    if not value:
        return f"{what} must not be empty"
    if len(value) > MAX_NAME:
        return f"{what} must be no more than {MAX_NAME} characters (got {len(value)})"
    if not DNS1123_LABEL.match(value):
        return (f"{what} must be a DNS-1123 label: lower case alphanumeric characters or '-', starting and ending "
                "with an alphanumeric character")
    return None


@dataclass
class NotFoundAnswer:
    """What the caller gets for an InferenceService that does not exist (HTTP 404)."""

    body: dict[str, Any]


class Doctor:
    def __init__(self, settings: Settings, kube: Kube | None = None) -> None:
        self.settings = settings
        self.kube = kube or Kube(api_client_from(settings.kubeconfig or None, settings.context or None,
                                                 pool_size=settings.workers),
                                 timeout=settings.request_timeout_seconds)
        self.pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="gather")
        self.cache = WatchCache(self.kube).start() if settings.cache == "watch" else None
        self.gatherer = Gatherer(self.kube, self.pool, GatherSettings(
            deadline_seconds=settings.deadline_seconds, max_requests=settings.max_requests,
            knative_namespace=settings.knative_namespace), cache=self.cache)

    def diagnose(self, namespace: str, name: str) -> dict[str, Any] | NotFoundAnswer:
        try:
            snap = self.gatherer.gather(namespace, name)
        except IsvcNotFound as e:
            return NotFoundAnswer(not_found_body(namespace, name, e.message, e.ledger.requests))
        d = engine.run(snap)
        return report.build(snap, d)

    def overview(self, namespace: str) -> dict[str, Any]:
        """Every InferenceService of a namespace with its readiness and most severe finding codes."""
        snaps, errors, ledger = self.gatherer.gather_namespace(namespace)
        items = []
        for snap in sorted(snaps, key=lambda x: x.name):
            d = engine.run(snap)
            ready = report.readiness(snap)
            worst = engine.worst(d.findings)
            items.append({
                "name": snap.name, "ready": ready["status"], "reason": ready["reason"], "stale": ready["stale"],
                "deploymentMode": report.deployment_mode(snap), "url": str(dig(snap.isvc, "status", "url", default="")),
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
    from .diagnosis import catalogue

    c = catalogue.get("ISVC_NOT_FOUND")
    title, explanation = c.render("default", {"namespace": namespace, "name": name})
    finding = Finding("ISVC_NOT_FOUND", "critical", "service", title, explanation,
                      (Evidence("observed", ObjectRef("InferenceService", name, namespace,
                                                      "serving.kserve.io/v1beta1"), "", 404, note=message),))
    return {
        "error": {"code": "ISVC_NOT_FOUND", "message": f"InferenceService {namespace}/{name} not found",
                  "details": {"namespace": namespace, "name": name, "apiMessage": message}},
        "target": {"namespace": namespace, "name": name, "uid": ""},
        "findings": [finding.as_dict()],
        "evidence": {"apiRequests": requests},
    }


__all__ = ["ApiUnavailable", "Doctor", "NotFoundAnswer", "name_problem"]
