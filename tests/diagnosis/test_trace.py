"""The request flow names the hops of the cluster's own ingress and stops where a request dies."""

from __future__ import annotations

from service import create_app
from tests.conftest import SCENARIOS, expectation, public_bundle


def trace_of(serve, bundle):
    target = expectation(bundle)["target"]
    r = serve(bundle)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(
        f"/diagnose/{target['namespace']}/{target['name']}").get_json()
    return body["trace"]


def test_on_kourier_there_is_no_virtual_service_hop_and_the_request_dies_at_the_route(serve):
    trace = trace_of(serve, SCENARIOS / "ingress" / "kourier-ha-custom-domain-probe-timeout")
    hops = [h["hop"] for h in trace["hops"]]
    assert hops == ["ingress-gateway", "knative-route", "revision-service", "queue-proxy", "model-container"]
    assert "kourier" in trace["hops"][0]["reason"] and trace["hops"][0]["object"]["kind"] == "Ingress"
    assert trace["brokenHop"] == "knative-route"


def test_on_istio_the_gateway_that_answers_403_is_where_the_request_dies(serve):
    trace = trace_of(serve, public_bundle("ingress-probe-forbidden-istio-rbac"))
    assert [h["hop"] for h in trace["hops"]][:2] == ["ingress-gateway", "kserve-virtualservice"]
    assert trace["brokenHop"] == "ingress-gateway" and trace["hops"][0]["object"]["kind"] == "Gateway"


def test_an_oom_breaks_the_flow_below_the_route(serve):
    trace = trace_of(serve, public_bundle("oom-exitcode137"))
    assert trace["brokenHop"] == "revision-service"
    assert trace["hops"][-1] == {**trace["hops"][-1], "hop": "model-container", "status": "broken"}
