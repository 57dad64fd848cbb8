"""quota: a pod the namespace refused (a ResourceQuota without room, a LimitRange maximum, a quota that
requires limits on every container, queue-proxy included), told from the owner's FailedCreate."""

from __future__ import annotations

import pytest

from service.diagnosers import quota
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

REFUSED = bundles_of("quota")
# bundle: component, what the admission said, the quota / limit range objects shown
WHY = {
    "rawdeploy-transformer-kf-quota-exceeded-rq-forbidden": ("transformer", "exceeded quota", []),
    "rawdeployment-limitrange-max-memory": ("predictor", "maximum memory", ["ResourceQuota", "LimitRange"]),
    "serverless-gpu-resourcequota-exceeded": ("predictor", "exceeded quota",
                                              ["ResourceQuota", "ResourceQuota", "LimitRange"]),
    "serverless-quota-must-specify-limits-queue-proxy": ("predictor", "must specify", ["ResourceQuota"]),
}


@pytest.mark.parametrize("b", REFUSED, ids=name)
def test_a_pod_the_namespace_refused_is_told_with_the_admissions_words_and_the_quotas(b):
    named(b, WHY)
    component, says, shown = WHY[b.name]
    f = one(quota.diagnose(snapshot(b)))
    assert (f.code, f.component) == ("QUOTA_EXCEEDED", component)
    assert says in f.facts["message"]
    assert [e.object.kind for e in f.evidence if e.object.kind in ("ResourceQuota", "LimitRange")] == shown
    [event] = of_kind(f, "Event")
    assert event.value["reason"] == "FailedCreate"


def test_quotas_it_may_not_read_still_leave_the_refusal_told():
    """kserve-doctor may not list ResourceQuotas here (faults.yaml): the FailedCreate event still tells."""
    snap = snapshot(bundle("quota", "rawdeploy-transformer-kf-quota-exceeded-rq-forbidden"))
    assert snap.resource_quotas is None and snap.error_for("resourcequotas").code == 403
    assert one(quota.diagnose(snap)).component == "transformer"


def test_the_transformers_quota_is_found_beside_the_predictors_failed_download():
    f = one(quota.diagnose(snapshot(bundle("storage-initializer", "gcs-sa-forbidden-plus-transformer-quota-kubeflow"))))
    assert f.component == "transformer"


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_a_namespace_with_room_refuses_nothing(b):
    assert quota.diagnose(snapshot(b)) == []
