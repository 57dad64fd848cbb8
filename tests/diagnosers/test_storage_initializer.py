"""storage_initializer: the init container that downloads the model failed; the finding names the URI, the
service account whose credentials it used, and how it failed (refused credentials, killed for memory, ...)."""

from __future__ import annotations

import pytest

from service.diagnosers import storage_initializer
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, logs, name, named, one, snapshot

DOWNLOADS = bundles_of("storage-initializer")
# bundle: variant, storage URI, service account, exit code, pod state
FAILED = {
    "azure-blob-permission-mismatch": ("credentials", "https://acmeclaimsml.blob.core.windows.net/models/claims-triage/v3",
                                       "claims-models-sa", "1", "Init:Error"),
    "gcs-sa-forbidden-plus-transformer-quota-kubeflow": (
        "credentials", "gs://catalog-vision-models/product-classifier/torchserve/v5", "kserve-gcs-sa", "1",
        "Init:CrashLoopBackOff"),
    "hf-gated-model-401-no-token-in-initializer": ("credentials", "hf://meta-llama/Meta-Llama-3-8B-Instruct", "default",
                                                   "1", "Init:CrashLoopBackOff"),
    "oom-killed-large-llm-download": ("oom", "s3://genai-model-store/Qwen/Qwen2.5-72B-Instruct-AWQ", "genai-s3-reader",
                                      "137", "Init:CrashLoopBackOff"),
    "pvc-model-path-missing": ("default", "pvc://model-store/nllb-200-1.3b", "default", "1", "Init:CrashLoopBackOff"),
    "s3-access-denied-irsa": ("credentials", "s3://acme-risk-models-prod/fraud/xgb/2024-08-06/", "fraud-models-irsa",
                              "1", "Init:CrashLoopBackOff"),
    "s3-endpoint-unreachable": ("default", "s3://ml-models/sklearn/iris", "default", "1", "Init:CrashLoopBackOff"),
    "s3-minio-tls-cert-verify-failed": ("default", "s3://ml-models/sklearn/iris", "default", "1",
                                        "Init:CrashLoopBackOff"),
    "storage-uri-hdfs-unrecognized-type": ("default", "hdfs://namenode.hadoop.svc:8020/models/sklearn/iris", "default",
                                           "1", "Init:CrashLoopBackOff"),
}


@pytest.mark.parametrize("b", DOWNLOADS, ids=name)
def test_a_failed_download_names_the_uri_the_credentials_and_how_it_failed(b):
    named(b, FAILED)
    variant, uri, account, exit_code, pod_state = FAILED[b.name]
    f = one(storage_initializer.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("STORAGE_INITIALIZER_FAILED", "predictor", variant)
    assert (f.facts["storage_uri"], f.facts["service_account"], str(f.facts["exit_code"]), f.facts["pod_state"]) == (
        uri, account, exit_code, pod_state)
    [declared] = [e for e in f.evidence if e.level == "declared"]
    assert declared.value == uri
    [log] = logs(f)
    assert log.log.container == "storage-initializer"


def test_the_log_line_that_says_why_is_quoted():
    f = one(storage_initializer.diagnose(snapshot(bundle("storage-initializer", "s3-access-denied-irsa"))))
    assert "AccessDenied" in f.facts["log_summary"]


def test_a_canary_whose_download_fails_is_found_on_the_new_revisions_pod():
    f = one(storage_initializer.diagnose(snapshot(bundle("revision", "canary-storage-uri-typo-prev-revision-serving"))))
    assert f.facts["storage_uri"] == "gs://kfserving-examples/models/sklearn/1.0/model-02"
    assert f.object is not None and "-predictor-00002-" in f.object.name


@pytest.mark.parametrize("b", [*HEALTHY, bundle("model-storage", "sklearn-ready-model-file-not-located-v012"),
                               bundle("model-storage", "tfserving-no-version-dir")], ids=name)
def test_a_download_that_completed_is_not_a_storage_initializer_failure(b):
    assert storage_initializer.diagnose(snapshot(b)) == []
