"""The catalogue keeps the contract of ../shared/FINDINGS.md, and docs/findings.md keeps up with it."""

from __future__ import annotations

import re
import string

import pytest

from service.diagnosis import catalogue
from service.docs import findings_document
from tests.conftest import ROOT

FINDINGS = ROOT.parent / "shared" / "FINDINGS.md"


def contract_codes() -> list[str]:
    if not FINDINGS.exists():
        pytest.skip("../shared/FINDINGS.md is not available")
    return re.findall(r"^\| `([A-Z_]+)` \|", FINDINGS.read_text(), re.M)


# Contract codes of the classes issue 15 (today's KServe: LLM engines, LLMInferenceService, InferenceGraph,
# the platform around them) brings; each leaves this set when its diagnoser lands.
NOT_YET_DIAGNOSED = {
    "GPU_OUT_OF_MEMORY", "LLM_ENGINE_CONFIG_INVALID", "MODEL_ACCESS_DENIED", "LLM_CONFIG_INVALID",
    "LLM_ROUTER_NOT_READY", "DEPENDENCY_NOT_INSTALLED", "INFERENCE_GRAPH_STEP_NOT_READY", "ADMISSION_WEBHOOK_FAILED",
    "SIDECAR_NOT_READY", "SCALE_FROM_ZERO_TIMEOUT", "NODE_PRESSURE_EVICTED", "STORAGE_URI_UNSUPPORTED",
    "AUTOSCALER_CONFLICT",
}


def test_every_contract_code_exists_with_its_exact_name():
    codes = contract_codes()
    assert len(codes) >= 18
    assert set(codes) - set(catalogue.catalogue()) <= NOT_YET_DIAGNOSED
    assert not NOT_YET_DIAGNOSED & set(catalogue.catalogue()), "a code landed: take it out of NOT_YET_DIAGNOSED"
    assert set(codes) >= NOT_YET_DIAGNOSED


def test_every_code_has_a_severity_title_meaning_and_default_explanation():
    for c in catalogue.catalogue().values():
        assert c.severity in ("critical", "error", "warning", "info"), c.code
        assert c.title and c.meaning and "default" in c.explanations, c.code
        assert c.code == c.code.upper() and re.fullmatch(r"[A-Z_]+", c.code)
        assert c.suppressed_by <= set(catalogue.catalogue()), c.code


def test_templates_are_well_formed():
    for c in catalogue.catalogue().values():
        for text in [c.title, *c.explanations.values()]:
            list(string.Formatter().parse(text))  # raises on an unbalanced brace


def test_committed_catalogue_document_matches_the_code():
    assert (ROOT / "docs" / "findings.md").read_text() == findings_document(), "run: python3 dev.py docs"
