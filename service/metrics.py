"""Prometheus metrics, multiprocess-safe under gunicorn (PROMETHEUS_MULTIPROC_DIR).

Counters and histograms are module-level, as prometheus-client expects; `/metrics` collects from the
multiprocess directory when it is set (every gunicorn worker writes there) and from this process's
registry otherwise.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

DIAGNOSES = Counter("kserve_doctor_diagnoses_total", "Diagnoses by outcome", ["outcome"])
DIAGNOSIS_SECONDS = Histogram("kserve_doctor_diagnosis_duration_seconds", "Time to answer a diagnosis",
                              buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
FINDINGS = Counter("kserve_doctor_findings_total", "Findings reported, by code and severity", ["code", "severity"])
KUBE_REQUESTS = Counter("kserve_doctor_kube_requests_total", "Kubernetes API requests by verb, resource and HTTP code",
                        ["verb", "resource", "code"])
KUBE_SECONDS = Histogram("kserve_doctor_kube_request_duration_seconds", "Kubernetes API request latency",
                         ["verb"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
REMEDIATIONS = Counter("kserve_doctor_remediations_total", "Remediations by id and outcome", ["id", "outcome"])
HTTP_REQUESTS = Counter("kserve_doctor_http_requests_total", "HTTP requests answered, by route and status",
                        ["method", "route", "status"])


def kube_request(verb: str, resource: str, code: int, seconds: float) -> None:
    """The Kube client's request hook."""
    KUBE_REQUESTS.labels(verb, resource, str(code) if code else "none").inc()
    KUBE_SECONDS.labels(verb).observe(seconds)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
