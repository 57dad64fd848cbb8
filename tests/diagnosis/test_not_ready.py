"""When nothing specific is found, the fallback still quotes what KServe last warned about."""

from __future__ import annotations

from service import create_app
from tests.conftest import SCENARIOS, expectation


def test_an_admission_webhook_refusal_is_quoted_from_the_inference_service_events(serve):
    bundle = SCENARIOS / "not-ready" / "knative-webhook-denies-timeout-3600"
    target = expectation(bundle)["target"]
    r = serve(bundle)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(
        f"/diagnose/{target['namespace']}/{target['name']}").get_json()
    [finding] = [f for f in body["findings"] if f["code"] == "ISVC_NOT_READY"]
    assert "denied the request" in finding["explanation"]
    assert any(e["object"]["kind"] == "Event" for e in finding["evidence"])
