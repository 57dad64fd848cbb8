"""A failed download gets the advice its own log calls for."""

from __future__ import annotations

import pytest

from tests.conftest import SCENARIOS, only_finding


@pytest.mark.parametrize(("bundle", "advice"), [
    ("s3-minio-tls-cert-verify-failed", "TLS certificate is not trusted"),
    ("storage-uri-hdfs-unrecognized-type", "does not handle that URI scheme"),
    ("hf-gated-model-401-no-token-in-initializer", "HF_TOKEN"),
    ("s3-endpoint-unreachable", "could not be reached"),
    ("pvc-model-path-missing", "The path does not exist"),
])
def test_the_advice_follows_what_the_storage_initializer_says(diagnose_bundle, bundle, advice):
    body = diagnose_bundle(SCENARIOS / "storage-initializer" / bundle)
    assert advice in only_finding(body, "STORAGE_INITIALIZER_FAILED")["explanation"]
