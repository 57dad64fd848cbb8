"""Cache mode (KSERVE_DOCTOR_CACHE=watch): objects from memory, only logs from the API server, changes seen."""

from __future__ import annotations

import time

import pytest
from kubernetes import client, config

from core.kube import Kube
from core.kube import resources as R
from service import create_app
from service.evidence.cache import Informer
from tests.conftest import public_bundle, sandbox_requests

NS, NAME = "kserve-test", "fraud-gbm"
ISVC = ("serving.kserve.io", "v1beta1", NS, "inferenceservices", NAME)


@pytest.fixture
def cached(serve):
    r = serve(public_bundle("oom-exitcode137"))
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_CACHE": "watch"})
    doctor = app.extensions["kserve_doctor"]
    assert doctor.cache.wait_synced(10)
    yield r, app.test_client(), doctor
    doctor.close()


def test_a_cached_diagnosis_reads_only_logs_from_the_api_server(cached):
    r, c, _ = cached
    sandbox_requests(r, clear=True)
    body = c.get(f"/diagnose/{NS}/{NAME}").get_json()
    assert "CONTAINER_OOM_KILLED" in {f["code"] for f in body["findings"]}
    served = [q for q in sandbox_requests(r) if q["verb"] != "watch"]
    assert served and all(q["subresource"] == "log" for q in served), served
    assert body["evidence"]["apiRequests"] == len(served)
    assert 0 <= body["evidence"]["ageSeconds"] < 5


def test_changes_made_through_the_api_reach_the_cache(cached):
    r, c, doctor = cached
    co = client.CustomObjectsApi(config.new_client_from_config(str(r.kubeconfig_path)))
    co.patch_namespaced_custom_object(*ISVC, [{"op": "replace", "path": "/spec/predictor/model/resources/limits/memory",
                                               "value": "1Gi"}], _content_type="application/json-patch+json")
    informer = doctor.cache.informers[R.INFERENCE_SERVICES.label]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        obj = informer.get(NS, NAME)
        if obj["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "1Gi":
            break
        time.sleep(0.05)
    body = c.get(f"/diagnose/{NS}/{NAME}").get_json()
    [oom] = [f for f in body["findings"] if f["code"] == "CONTAINER_OOM_KILLED"]
    assert "limit of 1Gi" in oom["explanation"]


def test_an_expired_resource_version_makes_the_informer_list_again(serve):
    import threading

    r = serve(public_bundle("oom-exitcode137"))
    informer = Informer(Kube(config.new_client_from_config(str(r.kubeconfig_path))), R.PODS)
    stop = threading.Event()
    thread = threading.Thread(target=informer.run, args=(stop,), daemon=True)
    informer._list()
    informer.resource_version = "1"  # older than the sandbox's watch history: the server answers 410
    before = informer.lists
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and informer.lists == before:
            time.sleep(0.05)
        assert informer.lists == before + 1
        assert informer.state == "ready" and len(informer) == 1
    finally:
        stop.set()
