"""tag_resolution: Knative could not turn an image tag into a digest (no pod is ever created): the registry
to skip is named, with why it refused (credentials, a timeout, a tag that does not exist, an untrusted CA)."""

from __future__ import annotations

import pytest

from service.diagnosers import tag_resolution
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

UNRESOLVED = bundles_of("tag-resolution")
# bundle: component, variant, registry
REGISTRY = {
    "artifact-registry-403-permission-denied": ("predictor", "unauthorized", "europe-west4-docker.pkg.dev"),
    "dockerhub-head-401-tag-resolution": ("predictor", "unauthorized", "index.docker.io"),
    "dockerhub-io-timeout-airgapped": ("predictor", "timeout", "index.docker.io"),
    "dockerhub-manifest-unknown-rollout": ("predictor", "not_found", "index.docker.io"),
    "ecr-tag-resolution-imds-context-deadline":
        ("predictor", "timeout", "123456789012.dkr.ecr.us-east-1.amazonaws.com"),
    "gcr-tag-resolution-unauthorized": ("predictor", "unauthorized", "gcr.io"),
    "harbor-port-401-transformer": ("transformer", "unauthorized", "registry.corp:5000"),
    "private-ca-x509-servingruntime-mirror": ("predictor", "x509", "nexus.acme.internal:8443"),
}


@pytest.mark.parametrize("b", UNRESOLVED, ids=name)
def test_a_tag_knative_cannot_resolve_names_the_registry_and_why_it_refused(b):
    named(b, REGISTRY)
    component, variant, registry = REGISTRY[b.name]
    f = one(tag_resolution.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant, f.facts["registry"]) == (
        "IMAGE_TAG_RESOLUTION_FAILED", component, variant, registry)
    assert f.object is not None and f.object.kind == "Revision" and f.object.name == f.facts["revision"]
    assert [e.value["reason"] for e in of_kind(f, "Revision")] == ["ContainerMissing", "ContainerMissing"]


def test_a_docker_hub_short_name_is_matched_as_index_docker_io():
    f = one(tag_resolution.diagnose(snapshot(bundle("tag-resolution", "dockerhub-io-timeout-airgapped"))))
    assert (f.facts["image"], f.facts["registry"]) == ("kserve/sklearnserver:v0.11.2", "index.docker.io")


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("image-pull")], ids=name)
def test_a_healthy_revision_or_a_registry_tag_resolution_already_skips_is_not_a_resolution_failure(b):
    assert tag_resolution.diagnose(snapshot(b)) == []
