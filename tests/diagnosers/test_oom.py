"""oom: a container the kernel killed for memory is named with the limit that killed it, where that limit comes
from (the InferenceService's own spec, or a runtime's default when the spec sets none) and a limit to try."""

from __future__ import annotations

import pytest

from service.diagnosers import oom
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

KILLED = bundles_of("oom", "remediation")
# bundle: component, variant, the limit, where it comes from, the limit suggested
LIMITS = {
    "hf-llama3-gpu-rawdeploy-oom-runtime-limit":
        ("predictor", "no_limit", "2Gi", "ClusterServingRuntime kserve-huggingfaceserver", "4Gi"),
    "legacy-sklearn-predictor-spec-kserve07":
        ("predictor", "default", "512Mi", "spec.predictor.sklearn.resources.limits.memory", "1Gi"),
    "oom-tf-gpu-lastState-running-again":
        ("predictor", "default", "2Gi", "spec.predictor.model.resources.limits.memory", "4Gi"),
    "rawdeploy-partial-replicas-oom":
        ("predictor", "default", "2Gi", "spec.predictor.model.resources.limits.memory", "4Gi"),
    "runtime-default-limit-no-isvc-resources":
        ("predictor", "no_limit", "2Gi", "ServingRuntime triton-cpu", "4Gi"),
    "transformer-oom-at-startup":
        ("transformer", "default", "512Mi", "spec.transformer.containers[0].resources.limits.memory", "1Gi"),
    "oom-xgboost-rbac":
        ("predictor", "default", "512Mi", "spec.predictor.model.resources.limits.memory", "1Gi"),
}


@pytest.mark.parametrize("b", KILLED, ids=name)
def test_a_container_killed_for_memory_is_named_with_the_limit_that_killed_it_and_its_source(b):
    named(b, LIMITS)
    component, variant, limit, source, suggested = LIMITS[b.name]
    f = one(oom.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("CONTAINER_OOM_KILLED", component, variant)
    assert (f.facts["container"], f.facts["limit"], f.facts["limit_source"], f.facts["suggested"]) == (
        "kserve-container", limit, source, suggested)
    assert f.object is not None and (f.object.kind, f.object.name) == ("Pod", f.facts["pod"])
    [pod_resources] = [e for e in of_kind(f, "Pod") if e.field.endswith(".resources")]
    assert pod_resources.value["limits"]["memory"] == limit


def test_a_limit_the_spec_does_not_set_is_traced_to_the_runtime_and_the_spec_shown_without_it():
    f = one(oom.diagnose(snapshot(bundle("oom", "hf-llama3-gpu-rawdeploy-oom-runtime-limit"))))
    [declared] = [e for e in of_kind(f, "InferenceService") if e.level == "declared"]
    assert declared.field == "spec.predictor.model.resources"
    assert "memory" not in declared.value["limits"], "the InferenceService only asks for a GPU"


def test_a_server_killed_then_running_again_is_found_from_its_last_state():
    f = one(oom.diagnose(snapshot(bundle("oom", "oom-tf-gpu-lastState-running-again"))))
    [status] = [e for e in of_kind(f, "Pod") if "containerStatuses" in e.field]
    assert status.value["ready"] is True and "running" in status.value["state"]
    assert status.value["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_two_of_three_replicas_killed_are_counted_on_the_pod_shown():
    f = one(oom.diagnose(snapshot(bundle("oom", "rawdeploy-partial-replicas-oom"))))
    [status] = [e for e in of_kind(f, "Pod") if "containerStatuses" in e.field]
    assert status.note.startswith("2 of 3 current pods of the predictor were OOM-killed")


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("crash-loop"),
                               bundle("probes", "liveness-kills-slow-llm-load-raw")], ids=name)
def test_a_healthy_server_a_crash_or_a_kill_by_the_liveness_probe_is_not_a_kill_for_memory(b):
    assert oom.diagnose(snapshot(b)) == []


def test_a_storage_initializer_killed_for_memory_is_left_to_the_storage_initializer_finding():
    assert oom.diagnose(snapshot(bundle("storage-initializer", "oom-killed-large-llm-download"))) == []
