"""probes: a probe that keeps failing is named with the probe, what it got and what it did (a liveness or
startup probe kills the server; a readiness probe keeps it out of the traffic); failures since outlived are
history."""

from __future__ import annotations

import pytest

from service.diagnosers import probes
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

FAILING = bundles_of("probes")
# bundle: variant, probe, failures counted, exit code of the kill ("?" when nothing was killed), what it got
PROBED = {
    "liveness-kills-slow-llm-load-raw": ("liveness", "liveness", "15", "137", "connection refused"),
    "rawdeploy-hf-startup-probe-kills-llama3-v014": ("startup", "startup", "60", "143", "connection refused"),
    "readiness-503-feature-cache-unreachable": ("default", "readiness", "39", "?", "statuscode: 503"),
}


@pytest.mark.parametrize("b", FAILING, ids=name)
def test_a_probe_that_keeps_failing_is_named_with_what_it_got_and_what_it_did(b):
    named(b, PROBED)
    variant, probe, count, exit_code, got = PROBED[b.name]
    f = one(probes.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant, f.facts["probe"]) == ("PROBE_FAILING", "predictor", variant, probe)
    assert (f.facts["container"], str(f.facts["count"]), str(f.facts["exit_code"])) == (
        "kserve-container", count, exit_code)
    assert got in f.facts["detail"]
    [event] = of_kind(f, "Event")
    assert event.value["reason"] == "Unhealthy"


@pytest.mark.parametrize(("b", "probe"), [(bundle("probes", "liveness-kills-slow-llm-load-raw"), "livenessProbe"),
                                          (bundle("probes", "rawdeploy-hf-startup-probe-kills-llama3-v014"),
                                           "startupProbe")], ids=["liveness", "startup"])
def test_a_killing_probe_shows_its_settings_so_that_its_budget_can_be_compared_with_the_load(b, probe):
    f = one(probes.diagnose(snapshot(b)))
    [spec] = [e for e in of_kind(f, "Pod") if e.field.endswith(probe)]
    assert {"failureThreshold", "httpGet"} <= set(spec.value)


def test_a_server_that_never_finds_its_model_fails_readiness_too():
    f = one(probes.diagnose(snapshot(bundle("model-storage", "tfserving-no-version-dir"))))
    assert (f.variant, f.facts["probe"]) == ("default", "readiness")


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_probe_failures_of_a_healthy_server_are_history(b):
    """Among them: a GPU scale-up whose startup probe failed while the model loaded, then passed."""
    assert probes.diagnose(snapshot(b)) == []
