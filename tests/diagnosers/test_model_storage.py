"""model_storage: the storage URI has no model behind it, said by the storage-initializer (nothing to
download), by a server that runs without its model (a ready variant), or by a server that never finds one."""

from __future__ import annotations

import pytest

from service.diagnosers import model_storage
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, logs, name, named, one, snapshot

MISSING = bundles_of("model-storage")
# bundle: variant, storage URI, the container whose log says so, what it says
NOTHING_THERE = {
    "http-uri-404-kserve-0.10": ("default", "https://raw.githubusercontent.com/tduffy000/kfserving-uri-examples/master/"
                                 "sklearn/frozen/model.joblib", "storage-initializer", "404"),
    "s3-prefix-empty-kserve07": ("default", "s3://ml-artifacts-legacy/churn/2021-11/model", "storage-initializer",
                                 "No model found in churn/2021-11/model"),
    "sklearn-ready-model-file-not-located-v012": ("ready", "s3://mlops-models/churn/7fcc38e8-a0cd-4474-93c3-3f61d9c7bde6",
                                                  "kserve-container", "fail to locate model file"),
    "tfserving-no-version-dir": ("server", "gs://acme-vision-models/flowers/saved_model", "kserve-container",
                                 "No versions of servable flowers found"),
}


@pytest.mark.parametrize("b", MISSING, ids=name)
def test_a_uri_with_no_model_behind_it_is_found_where_it_shows(b):
    named(b, NOTHING_THERE)
    variant, uri, container, says = NOTHING_THERE[b.name]
    f = one(model_storage.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("MODEL_NOT_FOUND_IN_STORAGE", "predictor", variant)
    assert f.facts["storage_uri"].startswith(uri)
    [log] = logs(f)
    assert log.log.container == container
    assert any(says in line for line in log.log.lines)


def test_a_missing_pvc_path_is_missing_too():
    f = one(model_storage.diagnose(snapshot(bundle("storage-initializer", "pvc-model-path-missing"))))
    assert "Cannot locate source uri /mnt/pvc/nllb-200-1.3b" in f.facts["log_summary"]


@pytest.mark.parametrize("b", [*HEALTHY, *(bundle("storage-initializer", n) for n in (
    "s3-access-denied-irsa", "azure-blob-permission-mismatch", "hf-gated-model-401-no-token-in-initializer",
    "gcs-sa-forbidden-plus-transformer-quota-kubeflow", "s3-endpoint-unreachable", "oom-killed-large-llm-download"))],
    ids=name)
def test_a_refused_or_unreachable_download_or_a_served_model_is_not_a_missing_model(b):
    assert model_storage.diagnose(snapshot(b)) == []
