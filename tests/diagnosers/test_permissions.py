"""permissions: kserve-doctor itself was refused (403) reading what it needed; each refused resource is one
finding, so that the answer says it is partial and what the operator should grant."""

from __future__ import annotations

import pytest

from service.diagnosers import permissions
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, one, snapshot

REFUSED = bundles_of("permissions")
# bundle: the resource refused (the bundle's faults.yaml), what was being read
READ = {
    "events-forbidden-oom-rawdeployment": ("events", "events of the InferenceService"),
    "perm-revisions-forbidden-configmap-volume-missing": ("revisions.serving.knative.dev", "Knative revisions"),
    "pod-logs-forbidden-crashloop": ("pods/log", "previous log of kserve-container in pod "
                                                 "price-elasticity-predictor-00001-deployment-79d4b8c6f5-jt5nq"),
}


@pytest.mark.parametrize("b", REFUSED, ids=name)
def test_a_read_kserve_doctor_was_refused_is_one_finding_naming_what_it_could_not_read(b):
    named(b, READ)
    resource, what = READ[b.name]
    f = one(permissions.diagnose(snapshot(b)))
    assert (f.code, f.component, f.severity) == ("INSUFFICIENT_PERMISSIONS", "service", "warning")
    assert (f.facts["resource"], f.facts["what"]) == (resource, what)
    assert 'User "sandbox-admin" cannot' in f.facts["message"]
    [e] = f.evidence
    assert (e.object.kind, e.object.name, e.value) == ("Status", resource, 403)


def test_events_refused_for_every_list_are_one_finding_not_one_per_list():
    snap = snapshot(bundle("permissions", "events-forbidden-oom-rawdeployment"))
    assert len([e for e in snap.errors if e.resource == "events"]) > 1
    assert len(permissions.diagnose(snap)) == 1


def test_a_refused_resourcequota_list_is_reported_beside_the_quota_finding():
    f = one(permissions.diagnose(snapshot(bundle("quota", "rawdeploy-transformer-kf-quota-exceeded-rq-forbidden"))))
    assert f.facts["resource"] == "resourcequotas"


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("oom")], ids=name)
def test_a_cluster_that_refuses_nothing_needs_no_grant(b):
    assert permissions.diagnose(snapshot(b)) == []
