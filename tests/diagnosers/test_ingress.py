"""ingress: the model is ready but the network path to it never became ready; the finding names the condition
that says so, the host, and what the Knative networking controller logged about this service."""

from __future__ import annotations

import pytest

from service.diagnosers import ingress
from tests.diagnosers.conftest import HEALTHY, bundle, bundles_of, logs, name, named, of_kind, one, snapshot

UNREACHABLE = bundles_of("ingress")
# bundle: the Knative Ingress, the route condition's reason, the controller pod whose log tells ("": none), what it said
NOT_CONFIGURED = {
    "authz-namespace-allowlist-denies-gateway-probes": ("claims-fraud-lgb-predictor", "Uninitialized",
                                                        "net-istio-controller-6b9f7d5c84-qm7xt", "got 403"),
    "ext-authz-oauth2-proxy-401-on-probes": ("partner-ranker-predictor", "Uninitialized",
                                             "net-istio-controller-58d7c9fb6d-zl4hv", "got 401"),
    "ha-net-istio-probe-403-second-replica": ("flowers-sample-predictor", "IngressNotConfigured",
                                              "net-istio-controller-5d8b6f9c7b-8mtkl", "got 403"),
    "ingress-probe-503-mtls-strict": ("flowers-sample-predictor", "IngressNotConfigured",
                                      "net-istio-controller-5d8b6f9c7b-8mtkl", "got 503"),
    "kourier-ha-custom-domain-probe-timeout": ("fraud-gbm-predictor", "Uninitialized",
                                               "net-kourier-controller-6b8d5f7c9d-9hjtz", "error roundtripping"),
    "kourier-istio-ingress-class-annotation": ("invoice-layoutlm-predictor", "IngressNotConfigured", "", ""),
    "local-gateway-gateway-deleted": ("defect-detector-predictor", "ReconcileIngressFailed",
                                      "net-istio-controller-84d6f6b7c9-tq6ws", 'failed to get Gateway'),
    "local-gateway-probe-timeout": ("fraud-xgb-predictor", "Uninitialized", "net-istio-controller-7c8b5d9f4b-r7kzq",
                                    "error roundtripping"),
}


@pytest.mark.parametrize("b", UNREACHABLE, ids=name)
def test_a_ready_model_behind_an_ingress_that_never_became_ready_is_told_with_the_controllers_words(b):
    named(b, NOT_CONFIGURED)
    kingress, reason, controller, says = NOT_CONFIGURED[b.name]
    f = one(ingress.diagnose(snapshot(b)))
    assert (f.code, f.component, f.variant, f.facts["component"]) == (
        "INGRESS_NOT_CONFIGURED", "ingress", "default", "predictor")
    assert f.object is not None and (f.object.kind, f.object.name) == ("Ingress", kingress)
    assert f.facts["reason"] == reason and f.facts["host"].startswith(kingress + ".")
    assert [e.note for e in of_kind(f, "Revision")] == ["the revision itself is ready"]
    assert says in f.explanation
    assert [e.object.name for e in logs(f)] == ([controller] if controller else [])
    for e in logs(f):  # only the lines about this service: its host or its reconcile key
        kept = e.log.filter.split(" | ")
        assert f.facts["host"] in kept and all(any(k in line for k in kept) for line in e.log.lines)


def test_under_knative_ha_the_replica_that_probes_the_service_is_found_among_three():
    snap = snapshot(bundle("ingress", "ha-net-istio-probe-403-second-replica"))
    assert len(snap.controller_logs) == 3
    f = one(ingress.diagnose(snap))
    assert [e.object.name for e in logs(f)] == ["net-istio-controller-5d8b6f9c7b-8mtkl"]


def test_an_ingress_no_controller_programmed_has_no_words_to_quote():
    """Kourier's controller ignores an Ingress of Istio's class: nothing logs about it, the route says Unknown."""
    f = one(ingress.diagnose(snapshot(bundle("ingress", "kourier-istio-ingress-class-annotation"))))
    assert "networking controller says" not in f.explanation and logs(f) == []


@pytest.mark.parametrize("b", [*HEALTHY, bundle("revision", "transformer-only-revision-missing-v07"),
                               bundle("oom", "transformer-oom-at-startup")], ids=name)
def test_a_route_that_is_ready_or_waits_for_a_revision_is_not_an_ingress_failure(b):
    assert ingress.diagnose(snapshot(b)) == []
