"""Gathering under a misbehaving API server: partial answers, deadlines, bounded retries, scoped reads."""

from __future__ import annotations

import time

import pytest

from service import create_app
from tests.conftest import public_bundle, sandbox_requests, set_faults

NS, NAME = "kserve-test", "fraud-gbm"


@pytest.fixture
def oom(serve):
    r = serve(public_bundle("oom-exitcode137"))
    apps = []

    def app(**settings):
        a = create_app({"KUBECONFIG": str(r.kubeconfig_path), **settings})
        apps.append(a)
        return a.test_client()

    yield r, app
    for a in apps:
        a.extensions["kserve_doctor"].close()


def diagnose(client):
    resp = client.get(f"/diagnose/{NS}/{NAME}")
    return resp.status_code, resp.get_json()


def codes(body):
    return {f["code"] for f in body["findings"]}


def test_a_forbidden_read_gives_a_partial_answer_and_says_so(oom):
    r, app = oom
    set_faults(r, [{"match": {"verb": "list", "resource": "events"}, "status": 403}])
    status, body = diagnose(app())
    assert status == 200
    assert body["partial"] is True
    assert {e["resource"] for e in body["errors"]} == {"events"}
    assert all(e["code"] == 403 for e in body["errors"])
    assert {"CONTAINER_OOM_KILLED", "INSUFFICIENT_PERMISSIONS"} <= codes(body)


def test_a_slow_read_is_cut_by_the_deadline_and_the_rest_is_answered(oom):
    r, app = oom
    set_faults(r, [{"match": {"resource": "pods", "subresource": "log"}, "delay_ms": 3000}])
    started = time.perf_counter()
    status, body = diagnose(app(deadline_seconds=1.0))
    elapsed = time.perf_counter() - started
    assert status == 200 and body["partial"] is True
    assert elapsed < 2.5, elapsed
    assert any(e["resource"] == "pods/log" for e in body["errors"])
    assert "CONTAINER_OOM_KILLED" in codes(body)


@pytest.mark.parametrize("code", [429, 500, 503])
def test_transient_errors_are_retried_a_bounded_number_of_times(oom, code):
    r, app = oom
    # the namespace keeps the networking controller's pod list (knative-serving) from spending a fault
    set_faults(r, [{"match": {"verb": "list", "resource": "pods", "namespace": NS}, "status": code, "times": 2,
                    "retry_after": 0}])
    sandbox_requests(r, clear=True)
    status, body = diagnose(app())
    assert status == 200 and body["partial"] is False
    pod_lists = [q for q in sandbox_requests(r) if q["verb"] == "list" and q["resource"] == "pods"
                 and q["namespace"] == NS]
    assert [q["code"] for q in pod_lists] == [code, code, 200]


def test_a_read_that_keeps_failing_is_given_up_and_reported(oom):
    r, app = oom
    set_faults(r, [{"match": {"verb": "list", "resource": "pods", "namespace": NS}, "status": 500}])
    sandbox_requests(r, clear=True)
    status, body = diagnose(app())
    assert status == 200 and body["partial"] is True
    assert [e["code"] for e in body["errors"]] == [500]
    attempts = [q for q in sandbox_requests(r) if q["verb"] == "list" and q["resource"] == "pods"
                and q["namespace"] == NS]
    assert len(attempts) == 3


def test_retry_after_is_honoured(oom):
    r, app = oom
    set_faults(r, [{"match": {"verb": "list", "resource": "pods", "namespace": NS}, "status": 429, "times": 1,
                    "retry_after": 1}])
    started = time.perf_counter()
    status, body = diagnose(app())
    assert status == 200 and not body["partial"]
    assert time.perf_counter() - started >= 1.0


def test_an_api_server_that_is_down_gives_503_and_readyz_fails(oom):
    r, app = oom
    client = app(request_timeout_seconds=1)
    r.stop()
    status, body = diagnose(client)
    assert status == 503 and body["error"]["code"] == "API_UNAVAILABLE"
    assert client.get("/readyz").status_code == 503


def test_an_inference_service_the_server_cannot_read_gives_503(oom):
    r, app = oom
    set_faults(r, [{"match": {"verb": "get", "resource": "inferenceservices"}, "status": 503}])
    status, body = diagnose(app())
    assert status == 503 and body["error"]["code"] == "API_UNAVAILABLE"


def test_reads_are_scoped_to_the_target(oom):
    r, app = oom
    sandbox_requests(r, clear=True)
    diagnose(app())
    served = sandbox_requests(r)
    pod_and_event_lists = [q for q in served if q["verb"] == "list" and q["resource"] in ("pods", "events")]
    assert pod_and_event_lists
    for q in pod_and_event_lists:
        assert "labelSelector=" in q["query"] or "fieldSelector=" in q["query"], q
    logs = [q for q in served if q["subresource"] == "log"]
    assert logs and all("tailLines=" in q["query"] and "limitBytes=" in q["query"] for q in logs)


def test_a_cluster_without_knative_or_istio_is_diagnosed_without_errors(serve, tmp_path):
    """A bundle that declares its CRDs serves only those APIs: Knative's and Istio's answer 404 as on a real
    RawDeployment-only cluster, which is a fact about the cluster, not a failed read."""
    import shutil

    import yaml

    from tests.conftest import SCENARIOS

    bundle = tmp_path / "raw"
    shutil.copytree(public_bundle("rawdeployment-readiness-probe-failing"), bundle)
    crd = next(d for d in yaml.safe_load_all((SCENARIOS / "remediation" / "oom-xgboost-rbac" / "cluster.yaml")
                                              .read_text()) if d and d["kind"] == "CustomResourceDefinition")
    with open(bundle / "cluster.yaml", "a") as f:
        f.write("---\n" + yaml.safe_dump(crd))
    r = serve(bundle)
    client = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client()
    body = client.get("/diagnose/recsys/item-ranker").get_json()
    assert body["partial"] is False and body["errors"] == []
    assert "PROBE_FAILING" in codes(body)
    assert body["deploymentMode"] == "RawDeployment"
    knative = [q for q in sandbox_requests(r) if q["path"].startswith(("/apis/serving.knative.dev",
                                                                        "/apis/networking.istio.io"))]
    assert knative and all(q["code"] == 404 for q in knative)


def test_an_answer_says_what_a_cap_cut(serve, tmp_path):
    import shutil

    import yaml

    bundle = tmp_path / "many-events"
    shutil.copytree(public_bundle("oom-exitcode137"), bundle)
    pod = "fraud-gbm-predictor-00001-deployment-7d97bb994c-mvllp"
    events = [{"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{pod}.{i:05d}", "namespace": NS},
               "involvedObject": {"kind": "Pod", "name": pod, "namespace": NS}, "reason": "BackOff",
               "type": "Warning", "message": "Back-off restarting failed container", "count": 1}
              for i in range(250)]
    with open(bundle / "cluster.yaml", "a") as f:
        f.write("---\n" + yaml.safe_dump_all(events))
    r = serve(bundle)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(f"/diagnose/{NS}/{NAME}").get_json()
    assert any(t.startswith(f"events of Pod {pod}: only the first 200") for t in body["evidence"]["truncated"])
    assert "CONTAINER_OOM_KILLED" in codes(body)


def test_a_ready_servers_start_up_log_is_read_once_per_container_instance(serve):
    r = serve(public_bundle("healthy-sklearn-iris"))
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    client = app.test_client()
    try:
        sandbox_requests(r, clear=True)
        first = client.get("/diagnose/kserve-test/sklearn-iris").get_json()
        logs = [q for q in sandbox_requests(r) if q.get("subresource") == "log"]
        assert len(logs) == 1 and first["findings"] == []
        assert "limitBytes" in logs[0]["query"] and "tailLines" not in logs[0]["query"], "the start, not the tail"
        sandbox_requests(r, clear=True)

        again = client.get("/diagnose/kserve-test/sklearn-iris").get_json()
        assert not [q for q in sandbox_requests(r) if q.get("subresource") == "log"]
        assert again["evidence"]["apiRequests"] == first["evidence"]["apiRequests"] - 1
    finally:
        app.extensions["kserve_doctor"].close()
