"""POST /remediate as its users meet it: previews change nothing, applies need every yes, conflicts lose nothing.

Everything goes through the sandbox over HTTP with the official client; callers present the bearer
tokens of the bundle's users.yaml (alice may patch InferenceServices in remedy-oom, bob may only read
them, carol may patch Knative's config-deployment).
"""

from __future__ import annotations

import copy
import logging

import jsonpatch
import pytest
from kubernetes import client, config

from core.kube import Kube
from service import create_app
from service.errors import Conflict
from service.remediate import RemediateRequest
from tests.conftest import SCENARIOS

BUNDLE = SCENARIOS / "remediation" / "oom-xgboost-rbac"
NS, NAME = "remedy-oom", "churn-xgb"
ISVC = ("serving.kserve.io", "v1beta1", NS, "inferenceservices", NAME)
ALICE, BOB = {"Authorization": "Bearer alice-token"}, {"Authorization": "Bearer bob-token"}


def request(**overrides):
    body = {"id": "raise-memory-limit", "namespace": NS, "name": NAME, "params": {}}
    body.update(overrides)
    return body


@pytest.fixture
def cluster(serve):
    r = serve(BUNDLE)
    return r, config.new_client_from_config(str(r.kubeconfig_path))


def app_for(r, enabled="raise-memory-limit,restart-pods,skip-tag-resolution", kube=None):
    settings = {"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_REMEDIATORS": enabled}
    app = create_app(settings)
    if kube is not None:
        app.extensions["kserve_doctor_remediation"].kube = kube
    return app.test_client()


def everything(api) -> dict:
    """Every object the sandbox holds that a remediation could touch."""
    co, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    return {"isvc": co.list_cluster_custom_object("serving.kserve.io", "v1beta1", "inferenceservices"),
            "cm": core.list_config_map_for_all_namespaces().to_dict(),
            "pods": core.list_pod_for_all_namespaces().to_dict()}


def isvc(api) -> dict:
    return client.CustomObjectsApi(api).get_namespaced_custom_object(*ISVC)


def test_a_preview_shows_the_patch_the_diff_and_the_servers_verdict_and_changes_nothing(cluster):
    r, api = cluster
    before = everything(api)
    resp = app_for(r).post("/remediate", json=request())
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["dryRun"] is True and body["applied"] is False
    assert body["params"] == {"component": "predictor", "container": "kserve-container", "memory": "1Gi"}
    [change] = body["changes"]
    assert change["object"]["kind"] == "InferenceService" and change["object"]["resourceVersion"]
    assert change["patch"][0] == {"op": "test", "path": "/metadata/resourceVersion",
                                  "value": change["object"]["resourceVersion"]}
    assert {"op": "replace", "path": "/spec/predictor/model/resources/limits/memory", "value": "1Gi"} in change["patch"]
    assert "-          memory: 512Mi\n+          memory: 1Gi" in change["diff"]
    assert body["serverDryRun"]["ok"] is True
    assert body["planId"].startswith("sha256:")
    assert everything(api) == before


def test_an_authorised_apply_changes_exactly_what_the_preview_showed(cluster, caplog):
    r, api = cluster
    app = app_for(r)
    original = isvc(api)
    preview = app.post("/remediate", json=request()).get_json()
    with caplog.at_level(logging.INFO, logger="kserve_doctor.audit"):
        resp = app.post("/remediate", json=request(dryRun=False, planId=preview["planId"]), headers=ALICE)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["applied"] is True
    after = isvc(api)
    expected = jsonpatch.apply_patch(copy.deepcopy(original), preview["changes"][0]["patch"])
    strip = lambda o: {k: v for k, v in o.items() if k != "metadata"}  # noqa: E731
    assert strip(after) == strip(expected)
    assert after["metadata"]["generation"] == original["metadata"]["generation"] + 1
    [line] = [rec for rec in caplog.records if rec.name == "kserve_doctor.audit" and rec.outcome == "applied"]
    assert line.caller == "alice@example.com" and line.remediation == "raise-memory-limit"
    assert line.patch[0]["ops"] == preview["changes"][0]["patch"]
    events = client.CoreV1Api(api).list_namespaced_event(
        NS, field_selector=f"involvedObject.name={NAME},involvedObject.kind=InferenceService").items
    assert [e.reason for e in events] == ["RemediationApplied"]
    assert "alice@example.com" in events[0].message and "raise-memory-limit" in events[0].message


def test_a_change_between_preview_and_apply_gives_409_and_the_apply_changes_nothing(cluster):
    r, api = cluster
    app = app_for(r)
    preview = app.post("/remediate", json=request()).get_json()
    co = client.CustomObjectsApi(api)
    co.patch_namespaced_custom_object(*ISVC, {"metadata": {"labels": {"edited": "concurrently"}}})
    edited = isvc(api)
    resp = app.post("/remediate", json=request(dryRun=False, planId=preview["planId"]), headers=ALICE)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["error"]["code"] == "PLAN_CHANGED"
    assert body["plan"]["planId"] != preview["planId"]
    assert isvc(api) == edited


class InterferingKube(Kube):
    """A real second writer that edits the object between the plan and its write (a race, made certain)."""

    def __init__(self, api, rival_api):
        super().__init__(api)
        self.rival = client.CustomObjectsApi(rival_api)

    def patch(self, r, namespace, name, ops, *, dry_run, **kw):
        if not dry_run:
            self.rival.patch_namespaced_custom_object(*ISVC, {"spec": {"predictor": {"minReplicas": 3}}})
        return super().patch(r, namespace, name, ops, dry_run=dry_run, **kw)


def test_a_concurrent_write_during_the_apply_is_refused_by_the_api_server_and_not_retried(cluster):
    r, api = cluster
    kube = InterferingKube(config.new_client_from_config(str(r.kubeconfig_path)), api)
    resp = app_for(r, kube=kube).post("/remediate", json=request(dryRun=False), headers=ALICE)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["error"]["code"] == "CONFLICT"
    assert body["plan"]["changes"], "the answer carries the fresh plan"
    now = isvc(api)
    assert now["spec"]["predictor"]["minReplicas"] == 3, "the rival's write stands"
    assert now["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "512Mi", "ours was not applied"


@pytest.mark.parametrize(("headers", "enabled", "status", "code"), [
    ({}, "raise-memory-limit", 401, "TOKEN_REQUIRED"),
    ({"Authorization": "Bearer not-a-token"}, "raise-memory-limit", 401, "TOKEN_INVALID"),
    (BOB, "raise-memory-limit", 403, "CALLER_FORBIDDEN"),
    (ALICE, "restart-pods", 403, "REMEDIATOR_NOT_ENABLED"),
    (ALICE, "", 403, "REMEDIATOR_NOT_ENABLED"),
])
def test_refused_applies_change_nothing(cluster, headers, enabled, status, code):
    r, api = cluster
    before = everything(api)
    resp = app_for(r, enabled=enabled).post("/remediate", json=request(dryRun=False), headers=headers)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code
    assert everything(api) == before


@pytest.mark.parametrize(("params", "field"), [
    ({"memory": "lots"}, "params"),
    ({"memory": "-1Gi"}, "params"),
    ({"memory": "256Mi"}, "params.memory"),      # below the current 512Mi
    ({"memory": "100Gi"}, "params.memory"),      # above KSERVE_DOCTOR_MAX_MEMORY (64Gi)
    ({"memory": "10Gi"}, "params.memory"),       # above the LimitRange's 8Gi
    ({"container": "storage-initializer"}, "params"),
    ({"component": "transformer"}, "params.component"),
    ({"surprise": 1}, "params"),
])
def test_bad_parameters_are_422_naming_the_field(cluster, params, field):
    r, api = cluster
    before = everything(api)
    resp = app_for(r).post("/remediate", json=request(params=params, dryRun=False), headers=ALICE)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["details"]["fields"]
    assert everything(api) == before


def test_quantities_compare_as_quantities_and_the_quota_headroom_is_warned(cluster):
    r, _ = cluster
    same = app_for(r).post("/remediate", json=request(params={"memory": "0.5Gi"})).get_json()
    assert same["noop"] is True and same["changes"] == [], "0.5Gi equals 512Mi: nothing to change"
    big = app_for(r).post("/remediate", json=request(params={"memory": "4Gi"})).get_json()
    assert any("ResourceQuota team-quota" in w for w in big["warnings"])
    assert not any("ResourceQuota" in w for w in app_for(r).post("/remediate", json=request()).get_json()["warnings"])


def test_unknown_ids_fields_and_malformed_bodies_are_clear_4xx(cluster):
    r, _ = cluster
    app = app_for(r)
    unknown = app.post("/remediate", json=request(id="delete-everything"))
    assert unknown.status_code == 422 and "id" in unknown.get_json()["error"]["details"]["fields"]
    extra = app.post("/remediate", json=request(force=True))
    assert extra.status_code == 422 and "force" in extra.get_json()["error"]["details"]["fields"]
    typed = app.post("/remediate", json=request(dryRun="no"))
    assert typed.status_code == 422 and "dryRun" in typed.get_json()["error"]["details"]["fields"]
    broken = app.post("/remediate", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "MALFORMED_JSON"


def test_restart_pods_sets_the_annotation_through_the_inference_service(cluster):
    r, api = cluster
    app = app_for(r)
    first = app.post("/remediate", json=request(id="restart-pods")).get_json()
    second = app.post("/remediate", json=request(id="restart-pods")).get_json()
    assert first["planId"] == second["planId"], "the timestamp is not part of the plan's identity"
    [op] = [o for o in first["changes"][0]["patch"] if o["op"] == "add"]
    assert op["path"] == "/spec/predictor/annotations"
    assert set(op["value"]) == {"kubectl.kubernetes.io/restartedAt"}
    resp = app.post("/remediate", json=request(id="restart-pods", dryRun=False, planId=first["planId"],
                                               params=first["params"]), headers=ALICE)
    assert resp.status_code == 200, resp.get_json()
    assert isvc(api)["spec"]["predictor"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": first["params"]["restartedAt"]}


def test_skip_tag_resolution_keeps_the_listed_registries_and_writes_the_kebab_case_key(cluster):
    r, api = cluster
    app = app_for(r)
    body = {"id": "skip-tag-resolution", "namespace": NS, "name": NAME,
            "params": {"registry": "registry.corp.example.com:5000"}}
    preview = app.post("/remediate", json=body).get_json()
    [change] = preview["changes"]
    assert change["object"] == {**change["object"], "kind": "ConfigMap", "namespace": "knative-serving",
                                "name": "config-deployment"}
    assert {"op": "add", "path": "/data/registries-skipping-tag-resolving",
            "value": "kind.local,ko.local,dev.local,registry.corp.example.com:5000"} in change["patch"]
    assert any("not pinned by digest" in w for w in preview["warnings"])
    refused = app.post("/remediate", json={**body, "dryRun": False}, headers=ALICE)
    assert refused.status_code == 403, "alice may not edit Knative's configuration"
    applied = app.post("/remediate", json={**body, "dryRun": False}, headers={"Authorization": "Bearer carol-token"})
    assert applied.status_code == 200, applied.get_json()
    data = client.CoreV1Api(api).read_namespaced_config_map("config-deployment", "knative-serving").data
    assert data["registries-skipping-tag-resolving"] == "kind.local,ko.local,dev.local,registry.corp.example.com:5000"
    assert data["registriesSkippingTagResolving"] == "kind.local,ko.local,dev.local"
    again = app.post("/remediate", json=body).get_json()
    assert again["noop"] is True and again["changes"] == []


def test_the_catalogue_lists_each_remediator_with_its_schema_and_whether_it_is_enabled(cluster):
    r, _ = cluster
    items = {i["id"]: i for i in app_for(r, enabled="restart-pods").get("/remediations").get_json()["items"]}
    assert set(items) == {"raise-memory-limit", "skip-tag-resolution", "restart-pods"}
    assert items["restart-pods"]["enabled"] is True and items["raise-memory-limit"]["enabled"] is False
    assert items["raise-memory-limit"]["fixes"] == ["CONTAINER_OOM_KILLED"]
    assert items["skip-tag-resolution"]["params"]["required"] == ["registry"]


def two_object_plan(reader, target, params):
    """A plan over two objects (the InferenceService and Knative's config), to prove all-or-nothing."""
    from core.kube import resources as R
    from remediations import Change, Plan
    from remediations.patch import PatchBuilder

    isvc_obj = reader.get(R.INFERENCE_SERVICES, target.namespace, target.name)
    cm = reader.get(R.CONFIG_MAPS, "knative-serving", "config-deployment")
    a = PatchBuilder(isvc_obj).set(["spec", "predictor", "minReplicas"], 4)
    b = PatchBuilder(cm).set(["data", "progress-deadline"], "20m")
    return Plan([Change(R.INFERENCE_SERVICES, isvc_obj, a.ops, a.doc), Change(R.CONFIG_MAPS, cm, b.ops, b.doc)])


class RivalOnSecondWrite(Kube):
    """Edits the second object between the two writes of the plan, through the API."""

    def __init__(self, api, rival_api):
        super().__init__(api)
        self.core = client.CoreV1Api(api)
        self.rival = client.CoreV1Api(rival_api)

    def patch(self, r, namespace, name, ops, *, dry_run, **kw):
        if not dry_run and r.kind == "ConfigMap" and any(op["path"] == "/data/progress-deadline" for op in ops):
            self.rival.patch_namespaced_config_map(name, namespace, {"data": {"other": "edit"}})
        return super().patch(r, namespace, name, ops, dry_run=dry_run, **kw)


def test_a_plan_over_several_objects_is_all_or_nothing(cluster, monkeypatch):
    from remediations import REMEDIATORS
    from remediations.base import Remediator
    from remediations.restart_pods import RestartPodsParams

    r, api = cluster
    monkeypatch.setitem(REMEDIATORS, "two-objects", Remediator(
        "two-objects", "test", "two objects", (), RestartPodsParams, (), two_object_plan))
    admin = {"Authorization": f"Bearer {r.sandbox.admin_token}"}
    spec_before = isvc(api)["spec"]
    kube = RivalOnSecondWrite(config.new_client_from_config(str(r.kubeconfig_path)), api)
    core = app_for(r, enabled="two-objects", kube=kube).application.extensions["kserve_doctor_remediation"]
    with pytest.raises(Conflict) as e:
        core.run(RemediateRequest("two-objects", NS, NAME, {}, dry_run=False), admin["Authorization"][7:])
    assert e.value.code == "CONFLICT"
    assert isvc(api)["spec"] == spec_before, "the first write was rolled back"
    data = client.CoreV1Api(api).read_namespaced_config_map("config-deployment", "knative-serving").data
    assert "progress-deadline" not in data and data["other"] == "edit"


def test_a_body_over_one_mebibyte_is_413_and_a_non_json_body_is_415(cluster):
    r, _ = cluster
    app = app_for(r)
    big = app.post("/remediate", data=b'{"id": "' + b"x" * (1024 * 1024 + 10) + b'"}', content_type="application/json")
    assert big.status_code == 413
    assert big.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    form = app.post("/remediate", data="id=restart-pods", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert form.get_json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_skip_tag_resolution_patches_the_knative_serving_resource_when_the_operator_manages_the_config(serve,
                                                                                                    tmp_path):
    import shutil

    import yaml

    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    with open(bundle / "cluster.yaml", "a") as f:
        f.write("---\n" + yaml.safe_dump({
            "apiVersion": "operator.knative.dev/v1beta1", "kind": "KnativeServing",
            "metadata": {"name": "knative-serving", "namespace": "knative-serving"},
            "spec": {"version": "1.12.4", "config": {"deployment": {
                "registriesSkippingTagResolving": "ko.local,dev.local"}}}}))
    r = serve(bundle)
    api = config.new_client_from_config(str(r.kubeconfig_path))
    app = app_for(r)
    body = {"id": "skip-tag-resolution", "namespace": NS, "name": NAME, "params": {"registry": "index.docker.io"}}
    preview = app.post("/remediate", json=body).get_json()
    [change] = preview["changes"]
    assert change["object"]["kind"] == "KnativeServing"
    assert {"op": "add", "path": "/spec/config/deployment/registries-skipping-tag-resolving",
            "value": "ko.local,dev.local,index.docker.io"} in change["patch"]
    assert "operator" in preview["warnings"][0]
    cm_before = client.CoreV1Api(api).read_namespaced_config_map("config-deployment", "knative-serving").data
    applied = app.post("/remediate", json={**body, "dryRun": False, "planId": preview["planId"]},
                       headers={"Authorization": f"Bearer {r.sandbox.admin_token}"})
    assert applied.status_code == 200, applied.get_json()
    ks = client.CustomObjectsApi(api).get_namespaced_custom_object(
        "operator.knative.dev", "v1beta1", "knative-serving", "knativeservings", "knative-serving")
    assert ks["spec"]["config"]["deployment"]["registries-skipping-tag-resolving"] == \
        "ko.local,dev.local,index.docker.io"
    assert client.CoreV1Api(api).read_namespaced_config_map("config-deployment", "knative-serving").data == \
        cm_before, "the operator owns the ConfigMap: it is left to the operator"
