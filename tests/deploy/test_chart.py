"""The Helm chart, offline: it lints, every manifest is valid Kubernetes 1.30, its pods are locked down,
every operator setting reaches the container, and its RBAC is read-only unless a remediator is enabled,
in which case exactly that remediator's write is added.

The remediators, their values keys and their grants come from remediations.REMEDIATORS (the chart's
are generated from it, test_chart_values.py keeps them in step): adding one needs no edit here.

Rendering uses helm-python-sdk (Helm's Go SDK through ctypes, from PyPI: no binary, no cluster);
validation uses kubernetes-validate's bundled OpenAPI schemas, in strict mode (unknown fields fail).
"""

from __future__ import annotations

import copy
import dataclasses
import re

import helm_python as helm
import kubernetes_validate
import pytest

from core.kube import resources as R
from remediations import REMEDIATORS
from service.chart_values import values_key
from service.config import ENV_PREFIX, Settings
from tests.conftest import ROOT
from tests.deploy.conftest import (
    ALL_ON,
    CHART,
    EVENT_CREATE,
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    declared_grants,
    env_of,
    grants,
    only,
    rbac,
    render,
    render_files,
)

VALUES = {"default": {}, "all-on": ALL_ON}
READS = {"get", "list", "watch"}
REVIEWS = {("authentication.k8s.io", "tokenreviews"), ("authorization.k8s.io", "subjectaccessreviews")}
# values key -> remediation id, as the chart maps them
REMEDIATOR_KEYS = {values_key(rid): rid for rid in REMEDIATORS}
# (group, resource) that remediators read and write in a namespace setting's namespace only (a Role there)
NAMESPACED_ONLY = {(group, resource) for r in REMEDIATORS.values() for rule in r.rbac if "namespace" in rule
                   for group in rule["apiGroups"] for resource in rule["resources"]}


def reads(grants_: set) -> set:
    return {g for g in grants_ if g[5] in READS}


def writes(grants_: set) -> set:
    return grants_ - reads(grants_)


def enabled(*keys: str) -> dict:
    return {"remediators": {k: {"enabled": k in keys} for k in REMEDIATOR_KEYS}}


# -- the chart as Helm sees it ---------------------------------------------------------------------


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_helm_lint_strict_finds_nothing_but_the_missing_icon(values):
    report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["error"] != "icon is recommended"] == [], report["messages"]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_every_manifest_is_valid_kubernetes(values):
    docs = render(values)
    checked = []
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: no schema in kubernetes-validate; checked against the Service below
        assert kubernetes_validate.validate(doc, KUBE_VERSION, strict=True) == "1.30"
        checked.append(doc["kind"])
        meta = doc["metadata"]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", meta["name"]) and len(meta["name"]) <= 63
        assert meta["labels"]["app.kubernetes.io/instance"] == RELEASE
    assert {"Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
            "RoleBinding", "PodDisruptionBudget"} <= set(checked)


def test_the_default_release_renders_the_core_objects_and_no_optional_ones():
    kinds = sorted(d["kind"] for d in render())
    assert kinds == sorted(["ClusterRole", "ClusterRoleBinding", "Deployment", "PodDisruptionBudget", "Role",
                            "RoleBinding", "Service", "ServiceAccount"])
    namespaced = [d for d in render() if d["kind"] not in ("ClusterRole", "ClusterRoleBinding")]
    assert {d["metadata"]["namespace"] for d in namespaced} == {NAMESPACE, "knative-serving"}


def test_all_optional_features_render_and_fit_together():
    docs = render(ALL_ON)
    deploy, svc = only(docs, "Deployment"), only(docs, "Service")
    assert "replicas" not in deploy["spec"], "the HorizontalPodAutoscaler owns the replica count"
    hpa = only(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deploy["metadata"]["name"]}
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    pod_labels = deploy["spec"]["template"]["metadata"]["labels"]
    for selector in (svc["spec"]["selector"], only(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
                     only(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"]):
        assert selector.items() <= pod_labels.items()
    assert only(docs, "PodDisruptionBudget")["spec"] == {"minAvailable": 1, "selector": {
        "matchLabels": deploy["spec"]["selector"]["matchLabels"]}}

    sm = only(docs, "ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    [endpoint] = sm["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]}
    assert endpoint["path"] == "/metrics" and endpoint["interval"] == "15s"

    np = only(docs, "NetworkPolicy")["spec"]
    assert np["policyTypes"] == ["Ingress", "Egress"]
    [ingress] = np["ingress"]
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert ingress["from"] == ALL_ON["networkPolicy"]["ingressFrom"]
    dns, api = np["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert [t["ipBlock"]["cidr"] for t in api["to"]] == ["10.0.0.1/32", "192.168.10.0/24"]
    assert [p["port"] for p in api["ports"]] == [443, 6443]

    spec = deploy["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["image"] == "registry.example.com/platform/kserve-doctor@sha256:" + "0" * 64
    assert spec["nodeSelector"] == ALL_ON["nodeSelector"] and spec["tolerations"] == ALL_ON["tolerations"]
    assert spec["affinity"] == ALL_ON["affinity"] and spec["priorityClassName"] == "platform-critical"
    assert spec["imagePullSecrets"] == [{"name": "registry-credentials"}]
    assert deploy["spec"]["template"]["metadata"]["annotations"] == {"example.com/team": "platform"}
    assert pod_labels["example.com/cost-center"] == "ml"
    assert env_of(docs)["HTTPS_PROXY"] == "http://proxy.example.com:3128"
    assert only(docs, "ServiceAccount")["metadata"]["annotations"] == ALL_ON["serviceAccount"]["annotations"]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_the_pod_runs_locked_down_with_only_tmp_writable(values):
    docs = render(values)
    spec = only(docs, "Deployment")["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["serviceAccountName"] == only(docs, "ServiceAccount")["metadata"]["name"]
    [container] = spec["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    [mount] = container["volumeMounts"]
    assert mount["mountPath"] == "/tmp"
    [volume] = spec["volumes"]
    assert volume["name"] == mount["name"] and "emptyDir" in volume
    assert env_of(docs)["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["resources"]["limits"]["memory"]
    assert not any(v.get("hostPath") or v.get("secret") for v in spec["volumes"])


def test_every_operator_setting_reaches_the_container_and_parses_back():
    names = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)
             if f.name not in ("kubeconfig", "context")}  # in-cluster: the service account, no kubeconfig
    env = env_of(render(ALL_ON))
    assert names <= env.keys(), f"settings the chart does not set: {sorted(names - env.keys())}"
    s = Settings.from_env(env)
    assert s.remediators == frozenset(REMEDIATOR_KEYS.values())
    assert (s.knative_namespace, s.max_memory, s.deadline_seconds, s.request_timeout_seconds, s.max_requests,
            s.workers, s.max_body_bytes, s.log_level) == ("knative-serving", "32Gi", 12.5, 4.0, 25, 16, 2097152,
                                                          "DEBUG")
    assert s.cors_origins == ("https://console.example.com", "http://localhost:3000")
    assert (env["WEB_CONCURRENCY"], env["GUNICORN_THREADS"], env["GUNICORN_ACCESS_LOG"]) == ("3", "8", "json")
    default = Settings.from_env(env_of(render()))
    assert default == Settings(), "the chart's defaults are the service's own"


def test_the_knative_namespace_moves_the_role_and_the_setting_together():
    docs = render({"knativeNamespace": "knative-custom"})
    assert env_of(docs)["KSERVE_DOCTOR_KNATIVE_NAMESPACE"] == "knative-custom"
    for kind in ("Role", "RoleBinding"):
        assert only(docs, kind)["metadata"]["namespace"] == "knative-custom"
    assert only(docs, "RoleBinding")["subjects"] == [{"kind": "ServiceAccount", "name": RELEASE,
                                                      "namespace": NAMESPACE}]


# -- RBAC: read-only by default, one write per remediator -------------------------------------------


def test_the_default_rbac_only_reads_except_the_two_reviews_and_never_secrets():
    docs = rbac(render())
    for g in grants(docs):
        _, _, group, resource, _, verb = g
        assert verb in READS or (verb == "create" and (group, resource) in REVIEWS), g
        assert "*" not in (group, resource, verb), g
    text = repr(docs)
    assert "secrets" not in text and "'*'" not in text
    cluster_role = only(docs, "ClusterRole")
    assert {v for rule in cluster_role["rules"] for v in rule["verbs"]} == {"get", "list", "watch", "create"}
    for binding in (only(docs, "ClusterRoleBinding"), only(docs, "RoleBinding")):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": RELEASE, "namespace": NAMESPACE}]
    assert env_of(render())["KSERVE_DOCTOR_REMEDIATORS"] == ""


def used_resources(*trees: str) -> set[tuple[str, str]]:
    used = set()
    for path in [p for tree in trees for p in ROOT.glob(f"{tree}/**/*.py")]:
        used |= set(re.findall(r"\bR\.([A-Z_]+)\b", path.read_text()))
    return {(getattr(R, name).group, getattr(R, name).plural) for name in used}


def test_the_cluster_wide_reads_are_exactly_what_the_code_reads():
    """Derived from the code: every resource of core/kube/resources.py that service/ or remediations/ uses,
    but those that remediators (and nothing in service/) use only in a namespace setting's namespace."""
    expected = used_resources("service") | (used_resources("remediations") - NAMESPACED_ONLY) | {("", "pods/log")}
    cluster = [g for g in grants(rbac(render())) if g[0] == "ClusterRole" and g[5] in READS]
    assert {(group, resource) for _, _, group, resource, _, _ in cluster} == expected
    for group, resource in expected:
        assert {g[5] for g in cluster if g[2:4] == (group, resource) and not g[4]} == READS, (group, resource)


def test_the_knative_namespace_role_reads_config_deployment_by_name_and_knative_servings():
    assert {g for g in grants(rbac(render())) if g[0] == "Role"} >= {
        ("Role", "knative-serving", "", "configmaps", "config-deployment", "get"),
        ("Role", "knative-serving", "operator.knative.dev", "knativeservings", "", "get"),
        ("Role", "knative-serving", "operator.knative.dev", "knativeservings", "", "list"),
    }


def test_the_default_namespaced_roles_grant_the_remediators_reads_there_and_nothing_else():
    """What a preview reads in a namespace setting's namespace is granted before anything is enabled."""
    declared = set().union(*(declared_grants(r.rbac) for r in REMEDIATORS.values()))
    assert {g for g in grants(rbac(render())) if g[0] == "Role"} == {g for g in reads(declared) if g[0] == "Role"}


@pytest.mark.parametrize("key", REMEDIATOR_KEYS)
def test_enabling_one_remediator_adds_exactly_its_write(key):
    base = grants(rbac(render()))
    docs = render(enabled(key))
    declared = declared_grants(REMEDIATORS[REMEDIATOR_KEYS[key]].rbac)
    assert grants(rbac(docs)) - base == writes(declared) | {EVENT_CREATE}
    assert reads(declared) <= base, "its preview's reads are granted before it is enabled"
    assert base <= grants(rbac(docs))
    assert env_of(docs)["KSERVE_DOCTOR_REMEDIATORS"] == REMEDIATOR_KEYS[key]


def test_all_remediators_together_add_the_union_of_their_writes():
    docs = render(enabled(*REMEDIATOR_KEYS))
    declared = set().union(*(declared_grants(r.rbac) for r in REMEDIATORS.values()))
    assert grants(rbac(docs)) - grants(rbac(render())) == writes(declared) | {EVENT_CREATE}
    assert declared <= grants(rbac(docs))
    assert env_of(docs)["KSERVE_DOCTOR_REMEDIATORS"] == ",".join(REMEDIATOR_KEYS[k] for k in sorted(REMEDIATOR_KEYS))
    assert set(env_of(docs)["KSERVE_DOCTOR_REMEDIATORS"].split(",")) == set(REMEDIATORS)


def test_rbac_can_be_left_to_the_operator():
    kinds = {d["kind"] for d in render({"rbac": {"create": False}, "serviceAccount": {"create": False,
                                                                                      "name": "existing"}})}
    assert kinds == {"Deployment", "Service", "PodDisruptionBudget"}
    deploy = only(render({"serviceAccount": {"create": False, "name": "existing"}}), "Deployment")
    assert deploy["spec"]["template"]["spec"]["serviceAccountName"] == "existing"
    with pytest.raises(helm.HelmError, match=r"serviceAccount\.name"):
        render({"serviceAccount": {"create": False}})


# -- values are checked ----------------------------------------------------------------------------


@pytest.mark.parametrize("values", [
    {"remediators": {"raiseMemoryLimt": {"enabled": True}}},
    {"remediators": {"restartPods": {"enabled": "yes"}}},
    {"logLevel": "LOUD"},
    {"corsOrigins": "https://a.example.com"},
    {"maxMemory": "lots"},
    {"deadlineSeconds": 0},
    {"knativeNamespace": "Knative_Serving"},
    {"replicas": 3},
    {"metrics": {"serviceMonitor": {"enabled": True, "interval": "often"}}},
], ids=lambda v: repr(v)[:60])
def test_values_outside_the_schema_are_refused(values):
    with pytest.raises(helm.HelmValuesError):
        render_files(values)


def test_notes_say_what_is_enabled():
    notes = render_files()["kserve-doctor/templates/NOTES.txt"]
    assert "Read-only" in notes and "port-forward svc/kserve-doctor" in notes
    assert ", ".join(sorted(REMEDIATOR_KEYS)) in notes, "it names the values keys that enable a remediator"
    notes = render_files(copy.deepcopy(ALL_ON))["kserve-doctor/templates/NOTES.txt"]
    assert ",".join(REMEDIATOR_KEYS[k] for k in sorted(REMEDIATOR_KEYS)) in notes
    assert "ServiceMonitor" in notes
