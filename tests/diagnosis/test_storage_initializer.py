"""A failed download gets the advice its own log calls for."""

from __future__ import annotations

import pytest

from service import create_app
from tests.conftest import SCENARIOS, expectation


@pytest.mark.parametrize(("bundle", "advice"), [
    ("s3-minio-tls-cert-verify-failed", "TLS certificate is not trusted"),
    ("storage-uri-hdfs-unrecognized-type", "does not handle that URI scheme"),
    ("hf-gated-model-401-no-token-in-initializer", "HF_TOKEN"),
    ("s3-endpoint-unreachable", "could not be reached"),
    ("pvc-model-path-missing", "The path does not exist"),
])
def test_the_advice_follows_what_the_storage_initializer_says(serve, bundle, advice):
    source = SCENARIOS / "storage-initializer" / bundle
    target = expectation(source)["target"]
    r = serve(source)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(
        f"/diagnose/{target['namespace']}/{target['name']}").get_json()
    [finding] = [f for f in body["findings"] if f["code"] == "STORAGE_INITIALIZER_FAILED"]
    assert advice in finding["explanation"]
