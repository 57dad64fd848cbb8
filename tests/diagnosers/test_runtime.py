"""runtime: no ServingRuntime will take the model (a format or protocol no enabled runtime supports, a runtime
named that is not where KServe looks), told with every runtime that knows the format and why it does not
qualify."""

from __future__ import annotations

import pytest

from service.diagnosers import runtime
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, name, named, one, snapshot

UNSERVED = bundles_of("runtime")
# bundle: variant, model format, runtime named, why no runtime qualifies
NO_RUNTIME = {
    "old-style-sklearn-v2-custom-csr-no-autoselect-v013": ("default", "sklearn", "", "sklearn speaks v1, not v2"),
    "onnx-v2-only-runtime-disabled": ("default", "onnx", "", "onnx-cpu-v1 speaks v1, not v2"),
    "runtime-not-recognized-other-namespace": ("named", "xgboost", "xgboost-gpu-runtime",
                                               "xgboost-gpu-runtime, which does not exist where KServe looks for it"),
}


@pytest.mark.parametrize("b", UNSERVED, ids=name)
def test_a_model_no_runtime_will_take_is_told_with_the_candidates_and_why_they_do_not_qualify(b):
    named(b, NO_RUNTIME)
    variant, model_format, named_runtime, why_not = NO_RUNTIME[b.name]
    f = one(runtime.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant) == ("RUNTIME_NOT_FOUND", "predictor", variant)
    assert (f.facts["model_format"], f.facts["runtime"]) == (model_format, named_runtime)
    assert why_not in f.explanation
    assert f.object is not None and f.object.kind == "InferenceService"


def test_a_runtime_in_another_namespace_is_not_where_kserve_looks_and_the_runtimes_known_here_are_listed():
    f = one(runtime.diagnose(snapshot(bundle("runtime", "runtime-not-recognized-other-namespace"))))
    assert "known here: kserve-sklearnserver [sklearn:1], kserve-xgbserver [xgboost:1]" in f.explanation


def test_a_model_format_the_runtimes_know_over_another_protocol_is_said_so():
    f = one(runtime.diagnose(snapshot(bundle("runtime", "onnx-v2-only-runtime-disabled"))))
    assert "over protocol v2" in f.explanation


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_a_model_a_runtime_serves_needs_no_runtime(b):
    assert runtime.diagnose(snapshot(b)) == []
