"""When Knative gives up on a first pod, the answer tells a slow pod from a failing one."""

from __future__ import annotations

import pytest

from tests.conftest import SCENARIOS, only_finding


@pytest.mark.parametrize(("bundle", "says", "never"), [
    ("progress-deadline/serverless-podinitializing-scaled-to-zero", "Nothing failed", "a failure rather than"),
    ("image-pull/ecr-skip-tag-resolution-kubelet-pull-denied-scaled-to-zero", "a failure rather than slowness",
     "Nothing failed"),
])
def test_an_activation_timeout_says_whether_the_pod_was_slow_or_failing(diagnose_bundle, bundle, says, never):
    deadline = only_finding(diagnose_bundle(SCENARIOS / bundle), "PROGRESS_DEADLINE_EXCEEDED")
    assert says in deadline["explanation"] and never not in deadline["explanation"]
