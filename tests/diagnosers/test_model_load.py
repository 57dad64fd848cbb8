"""model_load: the server found the model and could not load it (a pickle of another numpy, an old xgboost
format, a model.pt that is not TorchScript, TorchServe's 'Load model failed' on a ready server)."""

from __future__ import annotations

import pytest

from service.diagnosers import model_load
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, logs, name, named, one, snapshot

LOADS = bundles_of("model-load")
# bundle: runtime, what the log says, whether it is the previous instance's log
UNLOADABLE = {
    "sklearn-numpy2-pickle": ("kserve-sklearnserver", "joblib.load(model_path)", True),
    "torchserve-load-model-failed-ready-true": ("kserve-torchserve", "Load model failed", False),
    "triton-pytorch-not-torchscript-raw": ("triton-23-05", "failed to load", True),
    "xgboost-old-serialized-model-load-failed": ("kserve-xgbserver", "XGBoostError", True),
}


@pytest.mark.parametrize("b", LOADS, ids=name)
def test_a_model_the_server_cannot_load_is_told_by_the_servers_own_words(b):
    named(b, UNLOADABLE)
    runtime, says, previous = UNLOADABLE[b.name]
    f = one(model_load.diagnose(snapshot(b)))
    assert (f.code, f.component, f.facts["runtime"]) == ("MODEL_LOAD_FAILED", "predictor", runtime)
    assert f.object is not None and f.object.kind == "InferenceService"
    [log] = logs(f)
    assert (log.log.container, log.log.previous) == ("kserve-container", previous)
    assert any(says in line for line in log.log.lines), log.log.lines


def test_a_ready_server_that_failed_its_model_is_read_from_the_start_of_its_log():
    b = bundle("model-load", "torchserve-load-model-failed-ready-true")
    f = one(model_load.diagnose(snapshot(b)))
    [log] = logs(f)
    assert snapshot(b).log(log.object.name, "kserve-container").head is True
    assert f.facts["reason"] == "targetModelState Loaded"


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_the_start_up_of_a_healthy_server_is_not_a_load_failure(b):
    assert model_load.diagnose(snapshot(b)) == []
