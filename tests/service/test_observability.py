"""Metrics in Prometheus format, JSON log lines, and a request id that follows a request."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service import create_app, logs
from tests.conftest import public_bundle


@pytest.fixture
def client(serve):
    r = serve(public_bundle("oom-exitcode137"))
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    yield app.test_client()
    app.extensions["kserve_doctor"].close()


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_diagnoses_findings_api_requests_and_remediations(client):
    before = client.get("/metrics").get_data(as_text=True)
    client.get("/diagnose/kserve-test/fraud-gbm")
    client.post("/remediate", json={"id": "raise-memory-limit", "namespace": "kserve-test", "name": "fraud-gbm"})
    after = client.get("/metrics").get_data(as_text=True)
    assert metric(after, "kserve_doctor_diagnoses_total", outcome="complete") == \
        metric(before, "kserve_doctor_diagnoses_total", outcome="complete") + 1
    assert metric(after, "kserve_doctor_findings_total", code="CONTAINER_OOM_KILLED") > \
        metric(before, "kserve_doctor_findings_total", code="CONTAINER_OOM_KILLED")
    assert metric(after, "kserve_doctor_kube_requests_total", verb="list", resource="pods", code="200") > \
        metric(before, "kserve_doctor_kube_requests_total", verb="list", resource="pods", code="200")
    assert metric(after, "kserve_doctor_remediations_total", id="raise-memory-limit", outcome="previewed") == \
        metric(before, "kserve_doctor_remediations_total", id="raise-memory-limit", outcome="previewed") + 1
    assert "kserve_doctor_diagnosis_duration_seconds_bucket" in after


def test_the_request_id_is_taken_or_made_and_echoed(client):
    given = client.get("/healthz", headers={"X-Request-ID": "portal-123"})
    assert given.headers["X-Request-ID"] == "portal-123"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert made.headers["X-Request-ID"] != "<script>alert(1)</script>" and len(made.headers["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id(client):
    logs.configure()
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_kserve_doctor_json", False)]
    out = io.StringIO()
    previous = handler.setStream(out)
    try:
        client.get("/diagnose/kserve-test/fraud-gbm", headers={"X-Request-ID": "trace-me"})
    finally:
        handler.setStream(previous)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    access = [x for x in lines if x.get("logger") == "kserve_doctor.access"]
    assert access, lines
    assert access[-1]["request_id"] == "trace-me" and access[-1]["status"] == 200
    assert access[-1]["route"] == "/diagnose/<namespace>/<name>"


def test_cors_is_off_unless_the_operator_lists_origins(serve):
    r = serve(public_bundle("healthy-sklearn-iris"))
    closed = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client()
    assert "Access-Control-Allow-Origin" not in closed.get("/healthz", headers={"Origin": "https://x.io"}).headers
    opened = create_app({"KUBECONFIG": str(r.kubeconfig_path),
                         "KSERVE_DOCTOR_CORS_ORIGINS": "https://portal.example.com"}).test_client()
    ok = opened.get("/healthz", headers={"Origin": "https://portal.example.com"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://portal.example.com"
    other = opened.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers
