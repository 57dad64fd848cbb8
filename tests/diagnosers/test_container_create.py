"""container_create: the kubelet cannot create a container (a Secret or ConfigMap it needs is missing, a
volume cannot be attached or mounted); the event that names what is missing is quoted, not the generic
timeout."""

from __future__ import annotations

import pytest

from service.diagnosers import container_create
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, of_kind, one, snapshot

# bundle: variant, container ("" for a pod-level mount), the kubelet's reason, what it names
BLOCKED = {
    ("container-create", "rawdeploy-pvc-rwo-multi-attach"):
        ("mount", "", "FailedMount", 'Multi-Attach error for volume "pvc-67e4830c-c7f8-4c37-b87b-39540e115e66"'),
    ("container-create", "serverless-s3-credentials-secret-deleted"):
        ("default", "storage-initializer", "CreateContainerConfigError", 'secret "s3-credentials" not found'),
    ("permissions", "perm-revisions-forbidden-configmap-volume-missing"):
        ("mount", "", "FailedMount", 'configmap "claim-router-label-map" not found'),
}


def test_every_container_create_bundle_has_a_row():
    assert {("container-create", b.name) for b in bundles_of("container-create")} <= set(BLOCKED)


@pytest.mark.parametrize("where", BLOCKED, ids=lambda w: w[1])
def test_a_container_the_kubelet_cannot_create_is_told_by_the_event_that_names_what_is_missing(where):
    variant, container, reason, names = BLOCKED[where]
    f = one(container_create.diagnose(snapshot(bundle(*where))))
    assert (f.code, f.component, f.variant) == ("CONTAINER_CREATE_FAILED", "predictor", variant)
    assert (f.facts["container"], f.facts["reason"]) == (container, reason)
    assert names in f.facts["detail"]
    assert f.object is not None and (f.object.kind, f.object.name) == ("Pod", f.facts["pod"])
    assert any(names in e.value["message"] for e in of_kind(f, "Event"))


def test_a_mount_that_never_happens_shows_the_pod_still_pending():
    f = one(container_create.diagnose(snapshot(bundle("container-create", "rawdeploy-pvc-rwo-multi-attach"))))
    assert f.facts["pod_state"] == "Pending 0/1 ready"
    assert [e.value["reason"] for e in of_kind(f, "Event")] == ["FailedAttachVolume", "FailedMount"]


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("image-pull")], ids=name)
def test_containers_that_were_created_or_wait_for_their_image_are_not_blocked_at_creation(b):
    assert container_create.diagnose(snapshot(b)) == []
