"""storage_errors: the one vocabulary STORAGE_INITIALIZER_FAILED and MODEL_NOT_FOUND_IN_STORAGE share for a
storage-initializer's log, read on the real logs of the bundles: 'nothing at that URI' versus 'refused'."""

from __future__ import annotations

import pytest

from service.diagnosers.storage_errors import credentials_refused, missing_at_source
from tests.diagnosers.conftest import bundle, snapshot

# bundle: nothing at the URI, credentials refused
SAYS = {
    ("model-storage", "http-uri-404-kserve-0.10"): (True, False),
    ("model-storage", "s3-prefix-empty-kserve07"): (True, False),
    ("storage-initializer", "pvc-model-path-missing"): (True, False),
    ("revision", "canary-storage-uri-typo-prev-revision-serving"): (True, False),
    ("storage-initializer", "s3-access-denied-irsa"): (False, True),
    ("storage-initializer", "azure-blob-permission-mismatch"): (False, True),
    ("storage-initializer", "gcs-sa-forbidden-plus-transformer-quota-kubeflow"): (False, True),
    ("storage-initializer", "hf-gated-model-401-no-token-in-initializer"): (False, True),
    ("storage-initializer", "s3-endpoint-unreachable"): (False, False),
    ("storage-initializer", "s3-minio-tls-cert-verify-failed"): (False, False),
    ("storage-initializer", "storage-uri-hdfs-unrecognized-type"): (False, False),
}


def storage_initializer_log(where):
    [log] = [lg for lg in snapshot(bundle(*where)).logs if lg.container == "storage-initializer"]
    return log.text


@pytest.mark.parametrize("where", SAYS, ids=lambda w: w[1])
def test_the_storage_initializers_log_says_nothing_is_there_or_that_it_was_refused(where):
    text = storage_initializer_log(where)
    assert (missing_at_source(text), credentials_refused(text)) == SAYS[where]


@pytest.mark.parametrize(("line", "missing"), [
    ("RuntimeError: URI: https://example.com/m.joblib returned a 404 response code", True),
    ("google.api_core.exceptions.NotFound: 404 No such object: bucket/model", True),
    ("Downloading sha256:4043f5e1e4ad04bc6fbf1a13e96a8b9ab404a72b7bc2b2fc2b5e0d1c5e0b9c1", False),
    ("Connecting to models-404.internal.example:9000", False),
])
def test_a_404_counts_as_a_word_of_its_own_not_inside_a_hash_or_a_host(line, missing):
    assert missing_at_source(line) is missing
