"""Many callers at once: every diagnosis answers, and concurrent applies of one fix change the object once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client, config
from werkzeug.serving import make_server

from service import create_app
from tests.conftest import SCENARIOS

BUNDLE = SCENARIOS / "remediation" / "oom-xgboost-rbac"
NS, NAME = "remedy-oom", "churn-xgb"
ISVC = ("serving.kserve.io", "v1beta1", NS, "inferenceservices", NAME)


@pytest.fixture
def served(serve):
    r = serve(BUNDLE)
    # generous timeouts: this test is about ordering under contention, not about a loaded CI machine's latency
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_REMEDIATORS": "raise-memory-limit",
                      "KSERVE_DOCTOR_REQUEST_TIMEOUT_SECONDS": "30", "KSERVE_DOCTOR_DEADLINE_SECONDS": "60"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield r, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    app.extensions["kserve_doctor"].close()


def call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, method=method, headers=headers,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_200_concurrent_diagnoses_all_answer_the_same(served):
    _, base = served
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda _: call("GET", f"{base}/diagnose/{NS}/{NAME}"), range(200)))
    assert [status for status, _ in answers] == [200] * 200
    codes = {tuple(f["code"] for f in body["findings"]) for _, body in answers}
    assert codes == {("CONTAINER_OOM_KILLED", "REVISION_MISSING")}


def test_20_concurrent_applies_of_one_fix_change_the_object_exactly_once(served):
    r, base = served
    api = client.CustomObjectsApi(config.new_client_from_config(str(r.kubeconfig_path)))
    before = api.get_namespaced_custom_object(*ISVC)
    preview = call("POST", f"{base}/remediate", {"id": "raise-memory-limit", "namespace": NS, "name": NAME})[1]
    body = {"id": "raise-memory-limit", "namespace": NS, "name": NAME, "dryRun": False, "planId": preview["planId"],
            "params": preview["params"]}
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: call("POST", f"{base}/remediate", body, "alice-token"), range(20)))
    applied = [b for s, b in answers if s == 200 and b.get("applied")]
    others = [(s, b.get("error", {}).get("code") or ("noop" if b.get("noop") else "?")) for s, b in answers
              if not (s == 200 and b.get("applied"))]
    assert len(applied) == 1, answers
    assert all(s == 409 or code == "noop" for s, code in others), [x for x in others if x[0] != 409]
    after = api.get_namespaced_custom_object(*ISVC)
    assert after["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "1Gi"
    before["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] = "1Gi"
    assert after["spec"] == before["spec"], "no field outside the patch changed"
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    events = client.CoreV1Api(api.api_client).list_namespaced_event(
        NS, field_selector=f"involvedObject.name={NAME},involvedObject.kind=InferenceService").items
    assert [e.reason for e in events] == ["RemediationApplied"]
