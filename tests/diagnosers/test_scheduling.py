"""scheduling: a pod no node will take is named with what it requests and the scheduler's reasons, and advice
that follows the reason (not enough memory or cpu, an untolerated taint)."""

from __future__ import annotations

import pytest

from service.diagnosers import scheduling
from tests.diagnosers.conftest import HEALTHY, bundles_of, name, named, one, snapshot

PENDING = bundles_of("scheduling")
# bundle: component, what the pod requests, what the scheduler said
UNSCHEDULABLE = {
    "rawdeployment-insufficient-memory": ("predictor", "cpu=2, memory=48Gi", "5 Insufficient memory"),
    "serverless-alibi-explainer-unschedulable-v011": ("explainer", "cpu=2.025, memory=8Gi", "3 Insufficient cpu"),
    "serverless-gpu-taint-and-nodeselector": ("predictor", "cpu=4.025, memory=24Gi, nvidia.com/gpu=1",
                                              "untolerated taint {nvidia.com/gpu: present}"),
}


@pytest.mark.parametrize("b", PENDING, ids=name)
def test_a_pod_no_node_will_take_is_named_with_its_requests_and_the_schedulers_reasons(b):
    named(b, UNSCHEDULABLE)
    component, requests, says = UNSCHEDULABLE[b.name]
    f = one(scheduling.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("POD_UNSCHEDULABLE", component, "default")
    assert f.facts["requests"] == requests, "queue-proxy's share included on Knative"
    assert says in f.facts["message"]
    assert f.object is not None and (f.object.kind, f.object.name) == ("Pod", f.facts["pod"])


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_a_scheduled_pod_is_not_pending(b):
    assert scheduling.diagnose(snapshot(b)) == []
