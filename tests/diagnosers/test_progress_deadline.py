"""progress_deadline: a rollout that gave up (a Deployment past its progressDeadlineSeconds, a revision whose
initial scale was never achieved, a pod Knative could not activate in time), with the stage it was stuck at."""

from __future__ import annotations

import pytest

from service.diagnosers import progress_deadline
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

LATE = bundles_of("progress-deadline")
# bundle: variant, what gave up, the reason, the stage it was stuck at ("" when not told)
GAVE_UP = {
    "rawdeployment-progress-deadline-slow-download":
        ("default", "Deployment mixtral-8x7b-predictor", "ProgressDeadlineExceeded", ""),
    "serverless-llm-initial-scale-never-achieved":
        ("default", "Revision llama3-70b-instruct-predictor-00001", "ProgressDeadlineExceeded", ""),
    "serverless-podinitializing-scaled-to-zero":
        ("activation", "Revision layout-parser-predictor-00001", "TimedOut", "PodInitializing"),
}


@pytest.mark.parametrize("b", LATE, ids=name)
def test_a_rollout_that_gave_up_names_what_gave_up_and_where_it_was_stuck(b):
    named(b, GAVE_UP)
    variant, resource, reason, stage = GAVE_UP[b.name]
    f = one(progress_deadline.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("PROGRESS_DEADLINE_EXCEEDED", "predictor", variant)
    assert (f.facts["resource"], f.facts["reason"], f.facts.get("stage", "")) == (resource, reason, stage)


def test_an_activation_that_timed_out_on_a_failing_pod_says_the_pod_was_failing_not_slow():
    f = one(progress_deadline.diagnose(snapshot(
        bundle("image-pull", "ecr-skip-tag-resolution-kubelet-pull-denied-scaled-to-zero"))))
    assert (f.variant, f.facts["stage"]) == ("activation_failed", "ImagePullBackOff")
    assert [e.value["type"] for e in of_kind(f, "Revision")] == ["Active", "Ready", "ResourcesAvailable"]


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_a_healthy_rollout_or_a_scale_to_zero_is_not_a_deadline(b):
    assert progress_deadline.diagnose(snapshot(b)) == []
