"""image_pull: an image the kubelet cannot pull is named with the container that needs it and the registry's
refusal, from the pod while it waits or from the revision once Knative scaled the pod away."""

from __future__ import annotations

import pytest

from service.diagnosers import image_pull
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, of_kind, one, snapshot

PULLS = bundles_of("image-pull")
# bundle: component, variant, container ("" when only the revision tells), image, advice phrases
REFUSED = {
    "ecr-skip-tag-resolution-kubelet-pull-denied-scaled-to-zero":
        ("predictor", "reported", "", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml/churn-predictor:2.3.1",
         "default"),
    "rawdeploy-transformer-dockerhub-tag-typo":
        ("transformer", "default", "kserve-container", "acmenlp/intent-tokenizer:v2.3.1", "not_found"),
    "rawdeployment-private-harbor-pull-denied":
        ("predictor", "default", "kserve-container", "harbor.acme.internal/risk-ml/fraud-scorer:3.2.0", "unauthorized"),
    "storage-initializer-image-suspended-gcr":
        ("predictor", "default", "storage-initializer", "gcr.io/kfserving/storage-initializer:v0.6.1",
         "injected unauthorized"),
}


def phrases(advice):
    return " ".join(p.key for p in (advice if isinstance(advice, list | tuple) else [advice]))


@pytest.mark.parametrize("b", PULLS, ids=name)
def test_an_image_that_cannot_be_pulled_is_named_with_the_container_that_needs_it_and_why(b):
    named(b, REFUSED)
    component, variant, container, image, advice = REFUSED[b.name]
    f = one(image_pull.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("IMAGE_PULL_FAILED", component, variant)
    assert (f.facts["container"], f.facts["image"]) == (container, image)
    assert phrases(f.facts["advice"]) == advice


def test_a_pod_scaled_away_after_the_deadline_leaves_the_revision_to_tell():
    b = bundle("image-pull", "ecr-skip-tag-resolution-kubelet-pull-denied-scaled-to-zero")
    f = one(image_pull.diagnose(snapshot(b)))
    assert f.facts["pod"] == "" and f.facts["reason"] == "ImagePullBackOff"
    [condition] = of_kind(f, "Revision")
    assert condition.value["type"] == "ResourcesAvailable" and condition.value["reason"] == "ImagePullBackOff"


def test_an_injected_storage_initializer_image_is_the_one_named():
    f = one(image_pull.diagnose(snapshot(bundle("image-pull", "storage-initializer-image-suspended-gcr"))))
    assert [e.field for e in of_kind(f, "Pod") if e.field.endswith(".image")] == ["spec.initContainers[0].image"]


@pytest.mark.parametrize("b", [*HEALTHY, *bundles_of("tag-resolution")], ids=name)
def test_a_healthy_pull_or_a_tag_knative_could_not_resolve_is_not_a_pull_failure(b):
    assert image_pull.diagnose(snapshot(b)) == []
