"""The chart follows the remediator registry: its generated files are what service/chart_values.py makes
of remediations.REMEDIATORS, and a remediator the registry does not have yet flows into a regenerated
copy of the chart (values, schema, RBAC, env) with no hand edit.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import fields
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from remediations import REMEDIATORS, Remediator
from service import chart_values
from service.config import ENV_PREFIX, Settings
from service.remediate import Remediation
from tests.deploy.conftest import (
    CHART,
    EVENT_CREATE,
    KUBE_VERSION,
    NAMESPACE,
    declared_grants,
    env_of,
    grants,
    only,
    rbac,
    render,
    render_files,
)

# the namespace settings the remediators' rules name ("knative")
SETTINGS = {rule["namespace"] for r in REMEDIATORS.values() for rule in r.rbac if "namespace" in rule}


def test_the_committed_chart_files_and_readme_table_are_what_the_registry_makes():
    for path, make in chart_values.generated().items():
        assert path.read_text() == make(), f"{path.relative_to(CHART.parent.parent)}: run python3 dev.py docs"


def test_values_keys_are_the_ids_in_camel_case():
    assert chart_values.values_key("raise-memory-limit") == "raiseMemoryLimit"
    assert chart_values.values_key("set-storage-initializer-resources") == "setStorageInitializerResources"
    assert chart_values.values_key("a") == "a"


def test_an_unknown_remediators_key_fails_in_the_template_too(tmp_path):
    """The schema refuses it first; without the schema (helm --skip-schema-validation) the template does."""
    chart = tmp_path / "kserve-doctor"
    shutil.copytree(CHART, chart)
    (chart / "values.schema.json").unlink()
    known = ", ".join(sorted(chart_values.values_key(rid) for rid in REMEDIATORS))
    with pytest.raises(helm.HelmError, match=re.escape(
            f"remediators.raiseMemoryLimt is not a remediator of this chart (known: {known})")):
        render_files({"remediators": {"raiseMemoryLimt": {"enabled": True}}}, chart=chart)


# -- namespace settings: a rule's "namespace" names one, the chart and the service resolve it alike --


def test_every_namespace_setting_a_rule_names_is_a_setting_of_the_service_and_a_value_of_the_chart():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    env = env_of(render())
    for setting in SETTINGS:
        assert f"{setting}_namespace" in {f.name for f in fields(Settings)}, setting
        assert env[f"{ENV_PREFIX}{setting.upper()}_NAMESPACE"] == values[chart_values.namespace_value(setting)]


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_the_remediations_listing_and_the_chart_put_a_namespaced_rule_in_the_same_namespace(setting):
    custom = f"{setting}-custom"
    listing = Remediation(None, Settings(**{f"{setting}_namespace": custom})).catalogue()
    docs = render({chart_values.namespace_value(setting): custom,
                   "remediators": {chart_values.values_key(rid): {"enabled": True} for rid in REMEDIATORS}})
    granted = grants(rbac(docs))
    for item in listing:
        declared = REMEDIATORS[item["id"]].rbac
        for listed, rule in zip(item["rbac"], declared, strict=True):
            if rule.get("namespace") != setting:
                continue
            assert listed["namespace"] == custom, item["id"]
            assert declared_grants([rule], {chart_values.namespace_value(setting): custom}) <= granted
            assert {g[1] for g in declared_grants([rule], {chart_values.namespace_value(setting): custom})} == {custom}


# -- a remediator the registry does not have yet (ids no real remediator will take) -------------------


def regenerated_chart(tmp_path: Path, registry: dict[str, Remediator], extra_values: str = "") -> Path:
    """A copy of the chart (values.yaml + extra_values), its generated files written from registry."""
    chart = tmp_path / "kserve-doctor"
    shutil.copytree(CHART, chart)
    if extra_values:
        (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + extra_values)
    for path, make in chart_values.chart_files(chart, registry).items():
        path.write_text(make())
    return chart


def fake(rid: str, title: str, *rbac: dict) -> Remediator:
    """A remediator the registry does not have: only its id, title and rules matter to the chart."""
    return dataclasses.replace(next(iter(REMEDIATORS.values())), id=rid, title=title, rbac=rbac)


CM = "config-kserve-doctor-test"
EXTEND = fake("test-extend-startup-time", "Extend the startup time",
              {"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices", "llminferenceservices"],
               "verbs": ["patch"]},
              {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [CM],
               "verbs": ["get", "patch"], "namespace": "knative"})


def test_a_new_remediator_flows_into_the_chart_with_nothing_but_regeneration(tmp_path):
    registry = {**REMEDIATORS, EXTEND.id: EXTEND}
    chart = regenerated_chart(tmp_path, registry)
    key = chart_values.values_key(EXTEND.id)
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["remediators"][key] == {"enabled": False}
    assert "test-extend-startup-time (Extend the startup time): patch on inferenceservices/llminferenceservices" in (
        chart / "values.yaml").read_text()
    report = helm.lint(str(chart), {"remediators": {key: {"enabled": True}}}, strict=True, namespace=NAMESPACE,
                       kube_version=f"v{KUBE_VERSION}")
    assert report["errors"] == []

    base = grants(rbac(render(chart=chart)))
    assert grants(rbac(render())) < base, "the new remediator's read is granted before it is enabled"
    assert base - grants(rbac(render())) == {("Role", "knative-serving", "", "configmaps", CM, "get")}
    docs = render({"remediators": {key: {"enabled": True}}}, chart=chart)
    assert grants(rbac(docs)) - base == {
        ("ClusterRole", "", "serving.kserve.io", "inferenceservices", "", "patch"),
        ("ClusterRole", "", "serving.kserve.io", "llminferenceservices", "", "patch"),
        ("Role", "knative-serving", "", "configmaps", CM, "patch"), EVENT_CREATE}
    assert env_of(docs)["KSERVE_DOCTOR_REMEDIATORS"] == EXTEND.id
    everything = render({"remediators": {chart_values.values_key(rid): {"enabled": True} for rid in registry}},
                        chart=chart)
    assert set(env_of(everything)["KSERVE_DOCTOR_REMEDIATORS"].split(",")) == set(registry)
    with pytest.raises(helm.HelmValuesError):
        render({"remediators": {"extendStartupTme": {"enabled": True}}}, chart=chart)


def test_a_rule_in_a_new_namespace_setting_gets_its_own_role_once_the_setting_exists(tmp_path):
    """E.g. a rule on KServe's inferenceservice-config: "namespace": "kserve" is kserveNamespace."""
    tune = fake("test-set-storage-initializer-resources", "Give the storage-initializer more resources",
                {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["inferenceservice-config"],
                 "verbs": ["get", "patch"], "namespace": "kserve"})
    registry = {**REMEDIATORS, tune.id: tune}
    with pytest.raises(chart_values.ChartDataError, match="kserveNamespace"):
        regenerated_chart(tmp_path / "without", registry)

    chart = regenerated_chart(tmp_path / "with", registry, extra_values="\nkserveNamespace: kserve-system\n")
    schema = json.loads((chart / "values.schema.json").read_text())
    schema["properties"]["kserveNamespace"] = {"type": "string"}
    (chart / "values.schema.json").write_text(json.dumps(schema))
    key = chart_values.values_key(tune.id)

    default = rbac(render(chart=chart))
    assert [d["metadata"]["namespace"] for d in default if d["metadata"]["name"].endswith("-kserve")] == [
        "kserve-system", "kserve-system"]
    docs = rbac(render({"remediators": {key: {"enabled": True}}}, chart=chart))
    assert grants(docs) - grants(default) == {
        ("Role", "kserve-system", "", "configmaps", "inferenceservice-config", "patch"), EVENT_CREATE}
    role = next(d for d in docs if d["kind"] == "Role" and d["metadata"]["namespace"] == "kserve-system")
    binding = only([d for d in docs if d["metadata"].get("namespace") == "kserve-system"], "RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["namespace"] == NAMESPACE


@pytest.mark.parametrize(("rule", "complaint"), [
    ({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"], "namespace": "knative-serving"},
     "knative-servingNamespace"),
    ({"apiGroups": ["*"], "resources": ["configmaps"], "verbs": ["patch"]}, "wildcards"),
    ({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"], "nonResourceURLs": ["/x"]}, "only"),
])
def test_the_generator_refuses_what_the_chart_cannot_express(tmp_path, rule, complaint):
    with pytest.raises(chart_values.ChartDataError, match=complaint):
        regenerated_chart(tmp_path, {**REMEDIATORS, "bad": fake("bad", "Bad", rule)})
