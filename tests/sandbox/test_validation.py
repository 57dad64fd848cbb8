"""Writes are validated as a real server validates them, so that a server-side dry run means something."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.conftest import SCENARIOS

ISVC = ("serving.kserve.io", "v1beta1", "remedy-oom", "inferenceservices", "churn-xgb")
MEMORY = "/spec/predictor/model/resources/limits/memory"


@pytest.fixture
def co(serve):
    r = serve(SCENARIOS / "remediation" / "oom-xgboost-rbac")
    return client.CustomObjectsApi(config.new_client_from_config(str(r.kubeconfig_path)))


def patch(co, ops, dry_run=True):
    return co.patch_namespaced_custom_object(*ISVC, ops, dry_run="All" if dry_run else None,
                                             _content_type="application/json-patch+json")


def test_a_quantity_that_does_not_parse_is_invalid_against_the_crd_schema(co):
    with pytest.raises(ApiException) as e:
        patch(co, [{"op": "replace", "path": MEMORY, "value": "12GG"}])
    body = json.loads(e.value.body)
    assert e.value.status == 422 and body["reason"] == "Invalid"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert "spec.predictor.model.resources.limits.memory" in fields
    assert body["message"].startswith('InferenceService.serving.kserve.io "churn-xgb" is invalid: ')


def test_a_request_above_the_limit_in_an_inference_service_is_invalid(co):
    with pytest.raises(ApiException) as e:
        patch(co, [{"op": "replace", "path": MEMORY, "value": "256Mi"}])
    body = json.loads(e.value.body)
    assert e.value.status == 422
    assert body["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.predictor.model.resources.requests[memory]",
        "message": 'Invalid value: "512Mi": must be less than or equal to memory limit of 256Mi'}]


def test_a_refused_write_stores_nothing_and_a_valid_one_passes(co):
    before = co.get_namespaced_custom_object(*ISVC)
    with pytest.raises(ApiException):
        patch(co, [{"op": "replace", "path": MEMORY, "value": "12GG"}], dry_run=False)
    assert co.get_namespaced_custom_object(*ISVC) == before
    after = patch(co, [{"op": "replace", "path": MEMORY, "value": "1Gi"}], dry_run=False)
    assert after["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "1Gi"
    with pytest.raises(ApiException) as e:
        patch(co, [{"op": "replace", "path": "/spec/predictor/minReplicas", "value": "two"}])
    assert e.value.status == 422


def test_a_bundle_with_crds_serves_only_the_custom_apis_it_declares_or_holds(serve):
    r = serve(SCENARIOS / "remediation" / "oom-xgboost-rbac")
    api = config.new_client_from_config(str(r.kubeconfig_path))
    with pytest.raises(ApiException) as e:
        client.CustomObjectsApi(api).list_namespaced_custom_object(
            "networking.internal.knative.dev", "v1alpha1", "remedy-oom", "ingresses")
    assert e.value.status == 404
    assert json.loads(e.value.body)["message"] == "the server could not find the requested resource"
