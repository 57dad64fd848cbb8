"""not_ready (the fallback): an InferenceService that is not Ready while no diagnoser found why is reported as
such, with its conditions and KServe's last warning (an admission webhook's refusal, say); it never stands
beside a specific cause, and a name that does not exist is not diagnosed at all."""

from __future__ import annotations

import pytest

from sandbox import offline
from service.diagnosers import DIAGNOSERS, not_ready
from service.evidence.gather import IsvcNotFound
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, of_kind, one, snapshot

# bundle: the reason given, what KServe's last warning says ("" when there is none)
UNEXPLAINED = {
    "isvc-no-status-controller-never-reconciled": ("no Ready condition at all", ""),
    "knative-webhook-denies-timeout-3600":
        ("Ready Unknown", "expected 0 <= 3600 <= 600: spec.template.spec.timeoutSeconds"),
    "knative-webhook-down-no-ksvc": ("Ready Unknown", 'failed calling webhook "webhook.serving.knative.dev"'),
    "route-placeholder-service-not-owned": ("Predictor ingress not created", ""),
}
MISSING = ("isvc-deleted-revision-pod-still-terminating", "isvc-not-found-ksvc-name-given",
           "isvc-not-found-transposed-name")


def found_by_the_others(snap):
    return [f for d in DIAGNOSERS for f in d.diagnose(snap)]


def test_every_not_ready_bundle_is_told():
    assert sorted(b.name for b in bundles_of("not-ready")) == sorted([*UNEXPLAINED, *MISSING])


@pytest.mark.parametrize("n", UNEXPLAINED)
def test_a_service_not_ready_for_no_reason_the_others_found_is_reported_with_kserves_last_warning(n):
    reason, warning = UNEXPLAINED[n]
    snap = snapshot(bundle("not-ready", n))
    assert found_by_the_others(snap) == []
    f = one(not_ready.diagnose(snap, []))
    assert (f.code, f.component) == ("ISVC_NOT_READY", "service")
    assert reason in f.explanation and warning in f.explanation
    assert [e.value["reason"] for e in of_kind(f, "Event")] == (["InternalError"] if warning else [])


def test_a_service_that_never_got_a_status_shows_that_it_has_none():
    f = one(not_ready.diagnose(snapshot(bundle("not-ready", "isvc-no-status-controller-never-reconciled")), []))
    [e] = f.evidence
    assert (e.field, e.value) == ("status.conditions", None)


@pytest.mark.parametrize("n", MISSING)
def test_a_name_that_does_not_exist_is_not_diagnosed_nor_a_neighbour_borrowed(n):
    with pytest.raises(IsvcNotFound, match="not found"):
        offline.snapshot(bundle("not-ready", n))


@pytest.mark.parametrize("b", [bundle("oom", "transformer-oom-at-startup"),
                               bundle("quota", "rawdeployment-limitrange-max-memory"), *bundles_of("stale"), *HEALTHY],
                         ids=name)
def test_a_specific_cause_a_stale_status_or_a_ready_service_leaves_nothing_to_fall_back_on(b):
    snap = snapshot(b)
    assert not_ready.diagnose(snap, found_by_the_others(snap)) == []
