"""The request flow names the hops of the cluster's own ingress and stops where a request dies."""

from __future__ import annotations

from tests.conftest import SCENARIOS, public_bundle


def test_on_kourier_there_is_no_virtual_service_hop_and_the_request_dies_at_the_route(diagnose_bundle):
    trace = diagnose_bundle(SCENARIOS / "ingress" / "kourier-ha-custom-domain-probe-timeout")["trace"]
    hops = [h["hop"] for h in trace["hops"]]
    assert hops == ["ingress-gateway", "knative-route", "revision-service", "queue-proxy", "model-container"]
    assert "kourier" in trace["hops"][0]["reason"] and trace["hops"][0]["object"]["kind"] == "Ingress"
    assert trace["brokenHop"] == "knative-route"


def test_on_istio_the_gateway_that_answers_403_is_where_the_request_dies(diagnose_bundle):
    trace = diagnose_bundle(public_bundle("ingress-probe-forbidden-istio-rbac"))["trace"]
    assert [h["hop"] for h in trace["hops"]][:2] == ["ingress-gateway", "kserve-virtualservice"]
    assert trace["brokenHop"] == "ingress-gateway" and trace["hops"][0]["object"]["kind"] == "Gateway"


def test_an_oom_breaks_the_flow_below_the_route(diagnose_bundle):
    trace = diagnose_bundle(public_bundle("oom-exitcode137"))["trace"]
    assert trace["brokenHop"] == "revision-service"
    assert trace["hops"][-1] == {**trace["hops"][-1], "hop": "model-container", "status": "broken"}
