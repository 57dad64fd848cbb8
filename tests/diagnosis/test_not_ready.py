"""When nothing specific is found, the fallback still quotes what KServe last warned about."""

from __future__ import annotations

from tests.conftest import SCENARIOS, only_finding


def test_an_admission_webhook_refusal_is_quoted_from_the_inference_service_events(diagnose_bundle):
    finding = only_finding(diagnose_bundle(SCENARIOS / "not-ready" / "knative-webhook-denies-timeout-3600"),
                           "ISVC_NOT_READY")
    assert "denied the request" in finding["explanation"]
    assert any(e["object"]["kind"] == "Event" for e in finding["evidence"])
