"""revision_missing: Knative has no ready revision for a component (the symptom KServe reports as
RevisionMissing), named with the latest revision and its state; a canary whose old revision still serves
is not this."""

from __future__ import annotations

import pytest

from service.diagnosers import revision_missing
from tests.diagnosers.conftest import HEALTHY, bundle, name, of_kind, snapshot

# bundle: component, latest revision, its state
MISSING = {
    ("revision", "transformer-only-revision-missing-v07"):
        ("transformer", "ctr-xgb-transformer-default-00001", "Ready False, reason ExitCode2"),
    ("crash-loop", "explainer-alibi-dill-modulenotfound-v012"):
        ("explainer", "product-classifier-explainer-00001", "Ready False, reason ExitCode1"),
    ("oom", "transformer-oom-at-startup"):
        ("transformer", "sku-matcher-transformer-00001", "Ready False, reason ExitCode137"),
    ("storage-initializer", "s3-access-denied-irsa"):
        ("predictor", "fraud-xgb-predictor-00001", "Ready Unknown, reason Deploying"),
    ("permissions", "perm-revisions-forbidden-configmap-volume-missing"):
        ("predictor", "claim-router-predictor-00001", "it could not be read"),
}


@pytest.mark.parametrize("where", MISSING, ids=lambda w: w[1])
def test_a_component_without_a_ready_revision_names_the_latest_and_its_state(where):
    component, revision, state = MISSING[where]
    findings = revision_missing.diagnose(snapshot(bundle(*where)))
    assert [(f.code, f.component, f.variant) for f in findings] == [("REVISION_MISSING", component, "default")]
    [f] = findings
    assert f.facts["revision"] == revision and not f.facts["serving"]
    assert f"{revision} is not ready ({state})" in f.explanation


def test_only_the_failing_component_is_missing_its_revision():
    """The predictor of this InferenceService serves; its transformer has no ready revision."""
    findings = revision_missing.diagnose(snapshot(bundle("revision", "transformer-only-revision-missing-v07")))
    assert [f.component for f in findings] == ["transformer"]


def test_both_components_can_miss_their_revision_for_causes_of_their_own():
    b = bundle("storage-initializer", "gcs-sa-forbidden-plus-transformer-quota-kubeflow")
    assert [f.component for f in revision_missing.diagnose(snapshot(b))] == ["predictor", "transformer"]


def test_revisions_it_may_not_read_leave_the_knative_services_word():
    f, = revision_missing.diagnose(snapshot(bundle("permissions", "perm-revisions-forbidden-configmap-volume-missing")))
    assert f.object is not None and f.object.kind == "Service", "the Knative service, as no revision was read"
    assert of_kind(f, "Revision") == []


@pytest.mark.parametrize("b", [*HEALTHY, bundle("revision", "canary-00002-crashloop-00001-serving"),
                               bundle("revision", "canary-storage-uri-typo-prev-revision-serving")], ids=name)
def test_a_service_whose_ready_revision_takes_the_traffic_misses_nothing(b):
    assert revision_missing.diagnose(snapshot(b)) == []
