"""Rendering the Helm chart offline (helm-python-sdk: Helm's own Go SDK, no binary, no cluster)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from remediations import REMEDIATORS
from service.chart_values import namespace_value, values_key
from tests.conftest import ROOT

CHART = ROOT / "helm" / "kserve-doctor"
RELEASE = "kserve-doctor"
NAMESPACE = "kserve-doctor"
KUBE_VERSION = "1.30.0"
# the grant every enabled remediator brings: the Event the service records on what it changed
EVENT_CREATE = ("ClusterRole", "", "", "events", "", "create")
RBAC_KINDS = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")

# Every optional feature on, every remediator enabled, every pass-through value set.
ALL_ON: dict[str, Any] = {
    "image": {"repository": "registry.example.com/platform/kserve-doctor", "tag": "0.1.0",
              "digest": "sha256:" + "0" * 64, "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "registry-credentials"}],
    "gunicorn": {"workers": 3, "threads": 8, "accessLog": "json"},
    "knativeNamespace": "knative-serving",
    "maxMemory": "32Gi",
    "deadlineSeconds": 12.5,
    "requestTimeoutSeconds": 4,
    "maxRequests": 25,
    "readThreads": 16,
    "maxBodyBytes": 2097152,
    "logLevel": "DEBUG",
    "corsOrigins": ["https://console.example.com", "http://localhost:3000"],
    "remediators": {values_key(rid): {"enabled": True} for rid in REMEDIATORS},
    "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy.example.com:3128"}],
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/doctor"}},
    "service": {"annotations": {"example.com/owner": "platform"}},
    "podAnnotations": {"example.com/team": "platform"},
    "podLabels": {"example.com/cost-center": "ml"},
    "priorityClassName": "platform-critical",
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "platform", "effect": "NoSchedule"}],
    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {
            "matchLabels": {"app.kubernetes.io/name": "kserve-doctor"}}}}]}},
    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                   "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {
                                       "matchLabels": {"app.kubernetes.io/name": "kserve-doctor"}}}],
    "pdb": {"enabled": True, "minAvailable": 1},
    "autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 60,
                    "targetMemoryUtilizationPercentage": 80},
    "metrics": {"serviceMonitor": {"enabled": True, "interval": "15s", "scrapeTimeout": "5s",
                                   "labels": {"release": "kube-prometheus-stack"}}},
    "networkPolicy": {"enabled": True,
                      "ingressFrom": [{"namespaceSelector": {"matchLabels": {
                          "kubernetes.io/metadata.name": "monitoring"}}}],
                      "apiServerCIDRs": ["10.0.0.1/32", "192.168.10.0/24"], "apiServerPorts": [443, 6443]},
}


def render_files(values: dict[str, Any] | None = None, *, name: str = RELEASE,
                 namespace: str = NAMESPACE, chart: Path = CHART) -> dict[str, str]:
    """template path -> rendered text, as `helm template` makes them (values.schema.json is enforced).
    chart: another copy of the chart (a test's, regenerated for a remediator the registry does not have)."""
    import helm_python as helm

    with helm.Chart.load(str(chart)) as loaded:
        return loaded.render(values or {}, name=name, namespace=namespace, is_install=True)


def render(values: dict[str, Any] | None = None, *, name: str = RELEASE,
           namespace: str = NAMESPACE, chart: Path = CHART) -> list[dict[str, Any]]:
    """The manifests the chart renders (NOTES.txt left out), in template order."""
    docs: list[dict[str, Any]] = []
    for path, text in sorted(render_files(values, name=name, namespace=namespace, chart=chart).items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def only(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    [doc] = [d for d in docs if d["kind"] == kind]
    return doc


def rbac(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in RBAC_KINDS]


def env_of(docs: list[dict[str, Any]]) -> dict[str, str]:
    [container] = only(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", "") for e in container.get("env") or []}


def grants(docs: list[dict[str, Any]]) -> set[tuple[str, str, str, str, str, str]]:
    """Every (role kind, namespace, apiGroup, resource, resourceName, verb) the RBAC objects grant."""
    out = set()
    for role in docs:
        if role["kind"] not in ("ClusterRole", "Role"):
            continue
        ns = role["metadata"].get("namespace", "")
        for rule in role.get("rules") or []:
            for group in rule.get("apiGroups") or []:
                for resource in rule.get("resources") or []:
                    for name in rule.get("resourceNames") or [""]:
                        for verb in rule.get("verbs") or []:
                            out.add((role["kind"], ns, group, resource, name, verb))
    return out


def declared_grants(rules: Iterable[Mapping[str, Any]], values: Mapping[str, Any] | None = None
                    ) -> set[tuple[str, str, str, str, str, str]]:
    """The grants (as grants() spells them) of PolicyRules as a remediator declares them: a rule with a
    namespace setting ("knative") in a Role in that setting's namespace (values, default the chart's own),
    a rule without in the ClusterRole."""
    values = values or yaml.safe_load((CHART / "values.yaml").read_text())
    out = set()
    for rule in rules:
        kind, ns = ("Role", values[namespace_value(rule["namespace"])]) if "namespace" in rule else ("ClusterRole", "")
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for name in rule.get("resourceNames") or [""]:
                    for verb in rule["verbs"]:
                        out.add((kind, ns, group, resource, name, verb))
    return out
