"""Least privilege, proven: the chart's RBAC objects, loaded into the sandbox, are enough and no more.

Each test copies a public scenario bundle, appends the ClusterRole(s), Role(s) and bindings the chart
renders for its ServiceAccount to cluster.yaml, gives that ServiceAccount a token in users.yaml, and runs
the service with a kubeconfig holding only that token, exactly as it runs in the cluster:

(a) every public bundle still diagnoses as expected, and the service account is never refused a read;
(b) with the default (read-only) values, an apply that a permitted caller asks for fails because the API
    server refuses the service's own patch, and nothing changes;
(c) with raise-memory-limit enabled in the values, the same apply succeeds, and a SubjectAccessReview sweep
    over every resource, subresource and write verb shows the service account can write nothing else.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from sandbox.auth import Attributes
from sandbox.kinds import BUILTIN
from sandbox.serving import Running, running
from service import create_app
from tests.conftest import PUBLIC, expectation, public_bundle, sandbox_requests
from tests.deploy.conftest import NAMESPACE, rbac, render

SA_TOKEN = "kserve-doctor-sa-token"
CALLER_TOKEN = "fixer-token"
CALLER = "fixer@example.com"
OOM = "oom-exitcode137"
NS, NAME = "kserve-test", "fraud-gbm"
ISVC = ("serving.kserve.io", "v1beta1", NS, "inferenceservices", NAME)
RAISE = {"remediators": {"raiseMemoryLimit": {"enabled": True}}}
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
REVIEWS = {("authentication.k8s.io", "tokenreviews", "", "create"),
           ("authorization.k8s.io", "subjectaccessreviews", "", "create")}
# What every authenticated user may do (the bootstrap ClusterRole system:basic-user): ask about themselves.
SELF_REVIEW = {("authorization.k8s.io", "selfsubjectaccessreviews", "", "create")}


def public_bundles() -> list[Path]:
    return sorted(p.parent for p in PUBLIC.glob("*/expect.yaml")) if PUBLIC.is_dir() else []


def service_account(docs: list[dict[str, Any]]) -> str:
    """The user the chart's bindings name: system:serviceaccount:<release namespace>:<name>."""
    subjects = {(s["kind"], s.get("namespace"), s["name"]) for d in docs if d["kind"].endswith("Binding")
                for s in d["subjects"]}
    [(kind, ns, name)] = subjects
    assert kind == "ServiceAccount" and ns == NAMESPACE
    return f"system:serviceaccount:{ns}:{name}"


# The caller of an apply: may read and patch InferenceServices in the target namespace (a Role the
# bundle's own administrators would grant), so that only the service's own permissions are in question.
CALLER_RBAC = [
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
     "metadata": {"name": "isvc-fixer", "namespace": NS},
     "rules": [{"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"],
                "verbs": ["get", "list", "watch", "patch"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": {"name": "fixer-fixes-isvc", "namespace": NS},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "isvc-fixer"},
     "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": CALLER}]},
]
# Objects the service account must not be able to write (or, for the Secret, read).
BYSTANDERS = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-deployment", "namespace": "knative-serving"},
     "data": {"registries-skipping-tag-resolving": "kind.local,ko.local,dev.local"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "storage-credentials", "namespace": NS},
     "type": "Opaque", "data": {"password": "aHVudGVyMg=="}},
]


def bundle_with_chart_rbac(tmp_path: Path, source: Path, values: dict[str, Any] | None = None,
                           extra: list[dict[str, Any]] | None = None) -> tuple[Path, str]:
    """A copy of source whose cluster.yaml also holds the chart's RBAC objects, and whose users.yaml gives
    the chart's service account (and the caller) a token. Returns the bundle and the service account's user."""
    docs = rbac(render(values))
    sa = service_account(docs)
    dest = tmp_path / "bundle" / source.name
    shutil.copytree(source, dest)
    cluster = dest / "cluster.yaml"
    cluster.write_text(cluster.read_text().rstrip("\n") + "\n---\n"
                       + yaml.safe_dump_all([*docs, *(extra or [])], sort_keys=False))
    users_file = dest / "users.yaml"
    users = (yaml.safe_load(users_file.read_text()) or []) if users_file.exists() else []
    users += [{"token": SA_TOKEN, "user": sa, "groups": ["system:serviceaccounts"]},
              {"token": CALLER_TOKEN, "user": CALLER, "groups": ["ml-team"]}]
    users_file.write_text(yaml.safe_dump(users, sort_keys=False))
    return dest, sa


@contextmanager
def service_as(bundle: Path, tmp_path: Path, remediators: str = "") -> Iterator[tuple[Running, Any, Any, Any]]:
    """The sandbox on bundle, and the app reading it with nothing but the service account's token.
    Yields (sandbox, the Flask app, admin ApiClient, service account ApiClient)."""
    with running(bundle) as r:
        sa_kubeconfig = r.write_kubeconfig(tmp_path / "kubeconfig-sa", token=SA_TOKEN)
        admin_kubeconfig = r.write_kubeconfig(tmp_path / "kubeconfig-admin")
        app = create_app({"KUBECONFIG": str(sa_kubeconfig), "KSERVE_DOCTOR_REMEDIATORS": remediators})
        try:
            yield (r, app, config.new_client_from_config(str(admin_kubeconfig)),
                   config.new_client_from_config(str(sa_kubeconfig)))
        finally:
            app.extensions["kserve_doctor"].close()


def served_to(r: Running, user: str) -> list[dict[str, Any]]:
    return [q for q in sandbox_requests(r) if q["user"] == user]


def writes_allowed(r: Running, token: str) -> set[tuple[str, str, str, str]]:
    """Every (group, resource, subresource, verb) write the token's user may make somewhere: the sandbox's
    RBAC authorizer (the one its requests and SubjectAccessReviews go through) asked in-process about every
    resource type the sandbox knows, every subresource and write verb, in the namespaces that matter and at
    the cluster scope, plus the verbs and subresources clusters are taken over with."""
    user = r.sandbox.authn.authenticate(token)
    assert user is not None
    namespaces = (NS, "knative-serving", NAMESPACE, "default", "kube-system")
    checks: list[tuple[str, str, str, str, str]] = []
    for t in BUILTIN:
        for sub in ("", *t.subresources):
            for verb in WRITE_VERBS:
                checks += [(t.group, t.plural, sub, verb, ns) for ns in (namespaces if t.namespaced else ("",))]
    for group, resource, sub, verb in [
            ("", "pods", "exec", "create"), ("", "pods", "attach", "create"), ("", "pods", "portforward", "create"),
            ("", "pods", "eviction", "create"), ("", "serviceaccounts", "token", "create"),
            ("apps", "deployments", "scale", "patch"), ("", "nodes", "proxy", "get"),
            ("", "users", "", "impersonate"), ("", "groups", "", "impersonate"),
            ("", "serviceaccounts", "", "impersonate"), ("rbac.authorization.k8s.io", "clusterroles", "", "escalate"),
            ("rbac.authorization.k8s.io", "clusterroles", "", "bind"),
            ("certificates.k8s.io", "certificatesigningrequests", "", "create")]:
        checks += [(group, resource, sub, verb, ns) for ns in (NS, "")]
    return {(group, resource, sub, verb) for group, resource, sub, verb, ns in checks
            if r.sandbox.authz.authorize(Attributes(user, verb, group, resource, sub, ns)).allowed}


def forbidden(call: Any) -> bool:
    """Whether the API server answers 403 to the call."""
    with pytest.raises(ApiException) as e:
        call()
    return e.value.status == 403


def raise_memory_limit(dry_run: bool = False) -> dict[str, Any]:
    return {"id": "raise-memory-limit", "namespace": NS, "name": NAME, "params": {}, "dryRun": dry_run}


# -- (a) the rules are enough ----------------------------------------------------------------------


@pytest.mark.parametrize("source", public_bundles(), ids=lambda p: p.name)
def test_every_public_bundle_diagnoses_as_expected_with_only_the_charts_rules(source, tmp_path):
    expect = expectation(source)
    bundle, sa = bundle_with_chart_rbac(tmp_path, source)
    with service_as(bundle, tmp_path) as (r, flask_app, _, _):
        app = flask_app.test_client()
        ns, name = expect["target"]["namespace"], expect["target"]["name"]
        resp = app.get(f"/diagnose/{ns}/{name}")
        body = resp.get_json()
        assert resp.status_code == expect.get("status", 200), body
        codes = {f["code"] for f in body.get("findings", [])}
        assert set(expect.get("codes") or []) <= codes, f"missing {set(expect['codes']) - codes}"
        assert not codes & set(expect.get("absent") or [])
        assert "INSUFFICIENT_PERMISSIONS" not in codes, body["findings"]
        assert not [e for e in body.get("errors") or [] if e.get("code") == 403], body["errors"]
        offers = [o for f in body.get("findings", []) for o in f.get("remediations", [])]
        assert set(expect.get("offers") or []) <= {o["id"] for o in offers}

        # The planners' reads are enough too: every offered fix previews. With read-only values the
        # API server refuses only the server-side dry run of the patch (a dry-run patch needs `patch`).
        for offer in offers:
            preview = app.post("/remediate", json={"id": offer["id"], "namespace": ns, "name": name,
                                                   "params": offer["params"]})
            assert preview.status_code == 200, preview.get_json()
            verdicts = preview.get_json()["serverDryRun"]["results"]
            assert all(v["code"] == 403 for v in verdicts if not v["accepted"]), verdicts

        served = served_to(r, sa)
        assert served, "the service read the cluster with the service account's token"
        refused = [f"{q['verb']} {q['resource']}/{q['subresource']}" for q in served
                   if q["code"] == 403 and q["verb"] != "patch"]
        assert refused == [], "the chart's rules must cover every read"


def test_the_public_bundles_are_there_to_prove_it():
    if not public_bundles():
        pytest.skip(f"{PUBLIC} is not available")
    assert {b.name for b in public_bundles()} >= {OOM, "healthy-sklearn-iris", "isvc-not-found"}


# -- (b) read-only values: the service cannot write ------------------------------------------------


def test_default_values_make_an_apply_fail_at_the_api_server_and_change_nothing(tmp_path):
    bundle, sa = bundle_with_chart_rbac(tmp_path, public_bundle(OOM), extra=[*CALLER_RBAC, *BYSTANDERS])
    with service_as(bundle, tmp_path, remediators="raise-memory-limit") as (r, flask_app, admin, sa_api):
        co = client.CustomObjectsApi(admin)
        before = co.get_namespaced_custom_object(*ISVC)
        events_before = client.CoreV1Api(admin).list_namespaced_event(NS).items

        app = flask_app.test_client()
        resp = app.post("/remediate", json=raise_memory_limit(), headers={"Authorization": f"Bearer {CALLER_TOKEN}"})
        body = resp.get_json()
        assert resp.status_code == 403, body
        assert body["error"]["code"] == "SERVICE_FORBIDDEN"
        [verdict] = body["error"]["details"]["results"]
        assert verdict["accepted"] is False and verdict["code"] == 403 and verdict["reason"] == "Forbidden"
        assert f'User "{sa}" cannot patch resource "inferenceservices"' in verdict["message"]

        assert co.get_namespaced_custom_object(*ISVC) == before
        assert client.CoreV1Api(admin).list_namespaced_event(NS).items == events_before
        patches = [q for q in served_to(r, sa) if q["verb"] == "patch"]
        assert patches and {q["code"] for q in patches} == {403}, "every patch the service tried was refused"

        # The caller may make this change (the refusal is the service account's, not theirs), and the same
        # write, made directly with the service account's token, is refused too.
        review = client.AuthorizationV1Api(admin).create_subject_access_review({"spec": {
            "user": CALLER, "groups": ["ml-team"], "resourceAttributes": {
                "verb": "patch", "group": "serving.kserve.io", "resource": "inferenceservices", "namespace": NS,
                "name": NAME}}})
        assert review.status.allowed
        assert not [q for q in sandbox_requests(r) if q["user"] == CALLER], "the caller's token is only reviewed"
        assert forbidden(lambda: client.CustomObjectsApi(sa_api).patch_namespaced_custom_object(
            *ISVC, {"metadata": {"labels": {"touched": "yes"}}}))
        assert co.get_namespaced_custom_object(*ISVC) == before

        assert writes_allowed(r, SA_TOKEN) == SELF_REVIEW | REVIEWS


# -- (c) raise-memory-limit enabled: exactly that write --------------------------------------------


def test_enabling_raise_memory_limit_lets_the_apply_through_and_nothing_else(tmp_path):
    bundle, sa = bundle_with_chart_rbac(tmp_path, public_bundle(OOM), RAISE, extra=[*CALLER_RBAC, *BYSTANDERS])
    with service_as(bundle, tmp_path, remediators="raise-memory-limit") as (r, flask_app, admin, sa_api):
        co, core = client.CustomObjectsApi(admin), client.CoreV1Api(admin)
        before = co.get_namespaced_custom_object(*ISVC)
        resp = flask_app.test_client().post("/remediate", json=raise_memory_limit(),
                                            headers={"Authorization": f"Bearer {CALLER_TOKEN}"})
        body = resp.get_json()
        assert resp.status_code == 200, body
        assert body["applied"] is True and body["serverDryRun"]["ok"] is True
        after = co.get_namespaced_custom_object(*ISVC)
        assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
        resources = after["spec"]["predictor"]["model"]["resources"]
        assert resources["limits"]["memory"] == body["params"]["memory"] == "512Mi", "twice the 256Mi it had"
        events = core.list_namespaced_event(NS, field_selector=f"involvedObject.name={NAME},"
                                                               "involvedObject.kind=InferenceService").items
        assert "RemediationApplied" in {e.reason for e in events}, "the Event needs `create` on events"
        assert not [q for q in served_to(r, sa) if q["code"] == 403]

        # Everything else stays out of reach of the service account's token, through the real API ...
        cm_before = core.read_namespaced_config_map("config-deployment", "knative-serving")
        sa_core, sa_apps = client.CoreV1Api(sa_api), client.AppsV1Api(sa_api)
        deployment = client.AppsV1Api(admin).list_namespaced_deployment(NS).items[0].metadata.name
        assert forbidden(lambda: sa_core.patch_namespaced_config_map(
            "config-deployment", "knative-serving", {"data": {"registries-skipping-tag-resolving": "*"}}))
        assert forbidden(lambda: sa_apps.patch_namespaced_deployment(
            deployment, NS, {"spec": {"replicas": 0}}))
        assert forbidden(lambda: sa_core.read_namespaced_secret("storage-credentials", NS))
        assert forbidden(lambda: sa_core.list_namespaced_secret(NS))
        assert forbidden(lambda: client.CustomObjectsApi(sa_api).delete_namespaced_custom_object(*ISVC))
        assert forbidden(lambda: client.CustomObjectsApi(sa_api).replace_namespaced_custom_object(*ISVC, after))
        assert forbidden(lambda: sa_core.create_namespaced_pod(NS, {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "escape"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}))
        assert core.read_namespaced_config_map("config-deployment", "knative-serving").data == cm_before.data
        # ... the one write it has, works (dry run: nothing changes) ...
        client.CustomObjectsApi(sa_api).patch_namespaced_custom_object(
            *ISVC, {"metadata": {"labels": {"touched": "yes"}}}, dry_run="All")
        # ... and, asking the authorizer about every resource the sandbox knows, it is the only one.
        assert writes_allowed(r, SA_TOKEN) == SELF_REVIEW | REVIEWS | {
            ("serving.kserve.io", "inferenceservices", "", "patch"), ("", "events", "", "create")}


def test_skip_tag_resolution_gets_config_deployment_and_nothing_else_in_the_knative_namespace(tmp_path):
    values = {"remediators": {"skipTagResolution": {"enabled": True}}}
    bundle, sa = bundle_with_chart_rbac(tmp_path, public_bundle(OOM), values, extra=BYSTANDERS)
    with service_as(bundle, tmp_path) as (r, _, admin, _):
        authz = client.AuthorizationV1Api(admin)

        def may(verb: str, resource: str, name: str = "", ns: str = "knative-serving", group: str = "") -> bool:
            spec = {"user": sa, "groups": ["system:serviceaccounts"], "resourceAttributes": {
                "verb": verb, "group": group, "resource": resource, "name": name, "namespace": ns}}
            return bool(authz.create_subject_access_review({"spec": spec}).status.allowed)

        assert may("patch", "configmaps", "config-deployment")
        assert not may("patch", "configmaps", "config-logging")
        assert not may("patch", "configmaps", "config-deployment", ns=NS)
        assert may("patch", "knativeservings", "knative-serving", group="operator.knative.dev")
        assert not may("patch", "knativeservings", "knative-serving", ns=NS, group="operator.knative.dev")
        assert not may("get", "secrets", "anything")
        # The sweep names no object, so a rule limited by resourceNames (config-deployment) is not in it.
        assert writes_allowed(r, SA_TOKEN) == SELF_REVIEW | REVIEWS | {
            ("operator.knative.dev", "knativeservings", "", "patch"), ("", "events", "", "create")}
