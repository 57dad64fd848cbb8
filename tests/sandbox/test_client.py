"""The official Python client against the sandbox: reads, paging, logs, writes, dry run, concurrency."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.conftest import public_bundle

NS = "kserve-test"
POD = "fraud-gbm-predictor-00001-deployment-7d97bb994c-mvllp"
ISVC = ("serving.kserve.io", "v1beta1", NS, "inferenceservices", "fraud-gbm")


@pytest.fixture
def api(serve):
    r = serve(public_bundle("oom-exitcode137"), public_bundle("healthy-sklearn-iris"))
    return config.new_client_from_config(str(r.kubeconfig_path))


def status_of(e: ApiException) -> dict:
    return json.loads(e.body)


def test_every_object_and_list_carries_a_resource_version(api):
    core = client.CoreV1Api(api)
    pods = core.list_pod_for_all_namespaces()
    assert pods.metadata.resource_version
    assert all(p.metadata.resource_version for p in pods.items)
    assert {p.metadata.namespace for p in pods.items} == {NS}
    assert len(pods.items) == 2


def test_limit_and_continue_page_through_every_event_once(api):
    core = client.CoreV1Api(api)
    everything = [e.metadata.name for e in core.list_namespaced_event(NS).items]
    seen, token = [], None
    while True:
        page = core.list_namespaced_event(NS, limit=4, _continue=token)
        assert len(page.items) <= 4
        seen += [e.metadata.name for e in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert seen == everything and len(everything) > 8


def test_a_malformed_continue_token_is_a_bad_request(api):
    with pytest.raises(ApiException) as e:
        client.CoreV1Api(api).list_namespaced_event(NS, limit=2, _continue="not-a-token")
    assert e.value.status == 400 and status_of(e.value)["reason"] == "BadRequest"


def test_logs_need_a_container_when_a_pod_has_several(api):
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as e:
        core.read_namespaced_pod_log(POD, NS)
    assert e.value.status == 400
    assert status_of(e.value)["message"] == (
        f"a container name must be specified for pod {POD}, choose one of: [kserve-container queue-proxy] "
        "or one of the init containers: [storage-initializer]")
    text = core.read_namespaced_pod_log(POD, NS, container="kserve-container", previous=True, limit_bytes=10)
    assert text == "2024-03-12"


def test_not_found_is_a_status_with_details(api):
    with pytest.raises(ApiException) as e:
        client.CustomObjectsApi(api).get_namespaced_custom_object(*ISVC[:4], "missing")
    body = status_of(e.value)
    assert e.value.status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'inferenceservices.serving.kserve.io "missing" not found', "reason": "NotFound",
                    "details": {"name": "missing", "group": "serving.kserve.io", "kind": "inferenceservices"},
                    "code": 404}


def test_dry_run_patch_answers_the_result_and_persists_nothing(api):
    co = client.CustomObjectsApi(api)
    before = co.get_namespaced_custom_object(*ISVC)
    patch = [{"op": "add", "path": "/metadata/labels", "value": {"team": "fraud"}}]
    preview = co.patch_namespaced_custom_object(*ISVC, patch, dry_run="All",
                                                _content_type="application/json-patch+json")
    assert preview["metadata"]["labels"] == {"team": "fraud"}
    assert co.get_namespaced_custom_object(*ISVC) == before


def test_metadata_changes_keep_the_generation_and_spec_changes_bump_it(api):
    co = client.CustomObjectsApi(api)
    before = co.get_namespaced_custom_object(*ISVC)
    labelled = co.patch_namespaced_custom_object(*ISVC, {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == before["metadata"]["generation"]
    assert int(labelled["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    resized = co.patch_namespaced_custom_object(
        *ISVC, {"spec": {"predictor": {"model": {"resources": {"limits": {"memory": "1Gi"}}}}}})
    assert resized["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert resized["status"] == before["status"]


def test_update_with_a_stale_resource_version_is_a_conflict(api):
    co = client.CustomObjectsApi(api)
    obj = co.get_namespaced_custom_object(*ISVC)
    co.patch_namespaced_custom_object(*ISVC, {"metadata": {"labels": {"x": "1"}}})
    obj["metadata"].setdefault("labels", {})["x"] = "2"
    with pytest.raises(ApiException) as e:
        co.replace_namespaced_custom_object(*ISVC, obj)
    assert e.value.status == 409
    assert status_of(e.value)["message"] == (
        'Operation cannot be fulfilled on inferenceservices.serving.kserve.io "fraud-gbm": the object has been '
        "modified; please apply your changes to the latest version and try again")
    assert co.get_namespaced_custom_object(*ISVC)["metadata"]["labels"]["x"] == "1"


def test_strategic_merge_patch_is_refused_for_custom_resources(api):
    with pytest.raises(ApiException) as e:
        client.CustomObjectsApi(api).patch_namespaced_custom_object(
            *ISVC, {"metadata": {"labels": {"a": "b"}}}, _content_type="application/strategic-merge-patch+json")
    assert e.value.status == 415


def test_create_then_create_again_is_already_exists_and_delete_removes(api):
    core = client.CoreV1Api(api)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "doctor-test"}, "data": {"k": "v"}}
    assert core.create_namespaced_config_map(NS, cm, dry_run="All").metadata.name == "doctor-test"
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("doctor-test", NS)
    core.create_namespaced_config_map(NS, cm)
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(NS, cm)
    assert e.value.status == 409 and status_of(e.value)["reason"] == "AlreadyExists"
    core.delete_namespaced_config_map("doctor-test", NS)
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("doctor-test", NS)
    assert e.value.status == 404


def test_creating_in_a_namespace_that_does_not_exist_is_not_found(api):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    with pytest.raises(ApiException) as e:
        client.CoreV1Api(api).create_namespaced_config_map("no-such-namespace", cm)
    assert e.value.status == 404 and status_of(e.value)["message"] == 'namespaces "no-such-namespace" not found'


def test_a_request_above_its_limit_in_a_pod_template_is_invalid_and_not_stored(api):
    apps = client.AppsV1Api(api)
    name = "sklearn-iris-predictor-00001-deployment"
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/memory", "value": "64Gi"}]
    with pytest.raises(ApiException) as e:
        apps.patch_namespaced_deployment(name, NS, patch)
    body = status_of(e.value)
    assert e.value.status == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "spec.template.spec.containers[0].resources.requests[memory]"
    assert "must be less than or equal to memory limit" in body["message"]
    assert apps.read_namespaced_deployment(name, NS).spec.template.spec.containers[0].resources.requests[
        "memory"] != "64Gi"


def test_watch_streams_changes_made_through_the_api(api):
    from kubernetes import watch

    core = client.CoreV1Api(api)
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, {"metadata": {"name": "watched"}, "data": {"a": "1"}})
    core.patch_namespaced_config_map("watched", NS, {"data": {"a": "2"}})
    core.delete_namespaced_config_map("watched", NS)
    w = watch.Watch()
    seen = [(ev["type"], ev["object"].metadata.name) for ev in w.stream(
        core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=1)]
    assert seen == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]


def test_a_watch_from_a_too_old_resource_version_is_an_expired_error(api):
    raw = client.CoreV1Api(api).list_namespaced_config_map(NS, watch=True, resource_version="1", timeout_seconds=1,
                                                           _preload_content=False)
    lines = [json.loads(x) for x in raw.data.decode().splitlines() if x.strip()]
    assert lines[0]["type"] == "ERROR"
    assert lines[0]["object"]["code"] == 410 and lines[0]["object"]["reason"] == "Expired"


def test_a_watch_with_bookmarks_sends_them(api):
    rv = client.CoreV1Api(api).list_namespaced_config_map(NS).metadata.resource_version
    raw = client.CoreV1Api(api).list_namespaced_config_map(NS, watch=True, resource_version=rv, timeout_seconds=2,
                                                           allow_watch_bookmarks=True, _preload_content=False)
    lines = [json.loads(x) for x in raw.data.decode().splitlines() if x.strip()]
    assert any(x["type"] == "BOOKMARK" and x["object"]["metadata"]["resourceVersion"] for x in lines)


def test_a_label_selector_follows_labels_as_they_are_added_changed_and_removed(api):
    core = client.CoreV1Api(api)

    def names(selector: str) -> list[str]:
        return [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector=selector).items
                if c.metadata.name.startswith("sel-")]

    for name, tier in (("sel-b", "web"), ("sel-a", "db")):
        core.create_namespaced_config_map(NS, {"metadata": {"name": name, "labels": {"tier": tier, "app": "x"}}})
    assert names("tier=web") == ["sel-b"]
    assert names("tier in (web,db),app=x") == ["sel-a", "sel-b"]
    assert names("app=x,tier!=web") == ["sel-a"]
    core.patch_namespaced_config_map("sel-b", NS, {"metadata": {"labels": {"tier": "db"}}})
    assert names("tier=web") == []
    assert names("tier=db") == ["sel-a", "sel-b"]
    core.patch_namespaced_config_map("sel-a", NS, {"metadata": {"labels": {"tier": None}}})
    assert names("tier=db") == ["sel-b"]
    assert names("!tier") == ["sel-a"]
    core.delete_namespaced_config_map("sel-b", NS)
    assert names("tier=db") == [] and names("app=x") == ["sel-a"]
    assert core.list_config_map_for_all_namespaces(label_selector="app=x").items[0].metadata.name == "sel-a"


def test_a_client_that_hangs_up_before_tls_is_a_debug_line_not_noise_on_stderr(serve, capfd, caplog):
    r = serve(public_bundle("healthy-sklearn-iris"))
    host, port = r.url.removeprefix("https://").split(":")
    caplog.set_level(logging.DEBUG, logger="sandbox.http")
    for _ in range(3):
        socket.create_connection((host, int(port)), timeout=5).close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("handshake" in m.message for m in caplog.records):
        time.sleep(0.05)

    dropped = [m for m in caplog.records if "handshake" in m.message]
    assert dropped and all(m.levelno == logging.DEBUG for m in dropped)
    assert "handshake" not in capfd.readouterr().err
