"""crash_loop: a model container that keeps exiting is named with its exit code, its restarts and the line of
its previous log that says why; a kill for memory or by a probe is someone else's story."""

from __future__ import annotations

import pytest

from service.diagnosers import crash_loop
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, logs, name, named, one, snapshot

CRASHING = bundles_of("crash-loop")
# bundle: component, exit code, restarts, what the log says
WHY = {
    "custom-predictor-missing-python-module": ("predictor", "1", "6", "No module named 'transformers'"),
    "explainer-alibi-dill-modulenotfound-v012": ("explainer", "1", "6", "No module named 'alibi.explainers"),
    "hf-vllm-v013-crashloop-failed-to-start": ("predictor", "1", "5", "Failed to s"),
    "rawdeploy-custom-predictor-importerror": ("predictor", "1", "6", "cannot import name 'RayServeHandle'"),
    "transformer-protobuf-descriptor-crash": ("transformer", "1", "5", "Descriptors cannot not be created directly"),
}


@pytest.mark.parametrize("b", CRASHING, ids=name)
def test_a_crashing_container_is_named_with_its_exit_code_and_the_log_line_that_says_why(b):
    named(b, WHY)
    component, exit_code, restarts, says = WHY[b.name]
    f = one(crash_loop.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("CONTAINER_CRASH_LOOP", component, "default")
    assert (f.facts["container"], str(f.facts["exit_code"]), str(f.facts["restarts"]), f.facts["state"]) == (
        "kserve-container", exit_code, restarts, "CrashLoopBackOff")
    assert says in f.facts["log_summary"]
    [log] = logs(f)
    assert log.log.container == "kserve-container" and log.log.previous is True, "the instance that crashed"
    assert any(says in line for line in log.log.lines)


def test_without_its_log_the_crash_is_told_from_the_termination_message():
    """pods/log is forbidden to kserve-doctor here: the container's own last words are in its status."""
    f = one(crash_loop.diagnose(snapshot(bundle("permissions", "pod-logs-forbidden-crashloop"))))
    assert logs(f) == []
    [message] = [e for e in f.evidence if e.field.endswith("lastState.terminated.message")]
    assert "can't open file '/app/serve.py'" in message.value
    assert str(f.facts["exit_code"]) == "2"


def test_a_canary_that_crashes_is_found_on_the_new_revision_while_the_old_one_serves():
    f = one(crash_loop.diagnose(snapshot(bundle("revision", "canary-00002-crashloop-00001-serving"))))
    assert f.object is not None and "-predictor-00002-" in f.object.name
    assert "KeyError: 'RANKER_FEATURES_URI'" in f.facts["log_summary"]


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("oom"), *bundles_of("probes")], ids=name)
def test_a_healthy_server_a_kill_for_memory_or_by_a_probe_is_not_a_crash_loop(b):
    assert crash_loop.diagnose(snapshot(b)) == []
