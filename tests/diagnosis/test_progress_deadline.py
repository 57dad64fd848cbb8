"""When Knative gives up on a first pod, the answer tells a slow pod from a failing one."""

from __future__ import annotations

import pytest

from service import create_app
from tests.conftest import SCENARIOS, expectation


@pytest.mark.parametrize(("bundle", "says", "never"), [
    ("progress-deadline/serverless-podinitializing-scaled-to-zero", "Nothing failed", "a failure rather than"),
    ("image-pull/ecr-skip-tag-resolution-kubelet-pull-denied-scaled-to-zero", "a failure rather than slowness",
     "Nothing failed"),
])
def test_an_activation_timeout_says_whether_the_pod_was_slow_or_failing(serve, bundle, says, never):
    source = SCENARIOS / bundle
    target = expectation(source)["target"]
    r = serve(source)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(
        f"/diagnose/{target['namespace']}/{target['name']}").get_json()
    [deadline] = [f for f in body["findings"] if f["code"] == "PROGRESS_DEADLINE_EXCEEDED"]
    assert says in deadline["explanation"] and never not in deadline["explanation"]
