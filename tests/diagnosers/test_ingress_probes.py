"""ingress_probes: the gateway answers Knative's readiness probes with 401/403 (an AuthorizationPolicy, an
external auth proxy), counted from the networking controller's log, with the policies of the namespace."""

from __future__ import annotations

import pytest

from service.diagnosers import ingress_probes
from tests.diagnosers.conftest import HEALTHY, bundle, logs, name, one, snapshot

# bundle: the HTTP status the probes got, how many log lines say so, the namespace's AuthorizationPolicy
REFUSED = {
    "authz-namespace-allowlist-denies-gateway-probes": ("403", 20, "allow-same-namespace-only"),
    "ext-authz-oauth2-proxy-401-on-probes": ("401", 20, "partner-ranker-require-login"),
    "ha-net-istio-probe-403-second-replica": ("403", 14, "ns-owner-access-istio"),
}


@pytest.mark.parametrize("b", [bundle("ingress", n) for n in REFUSED], ids=name)
def test_probes_the_gateway_refuses_are_counted_and_the_namespaces_policy_shown(b):
    status, count, policy = REFUSED[b.name]
    f = one(ingress_probes.diagnose(snapshot(b)))
    assert (f.code, f.component, str(f.facts["status"]), int(f.facts["count"])) == (
        "INGRESS_PROBE_FORBIDDEN", "ingress", status, count)
    assert f.object is not None and (f.object.kind, f.object.name) == ("AuthorizationPolicy", policy)
    [declared] = [e for e in f.evidence if e.level == "declared"]
    assert declared.object.name == policy and "rules" in declared.value
    [log] = logs(f)
    assert all(f"got {status}" in line for line in log.log.lines)


@pytest.mark.parametrize("b", [*HEALTHY, *(bundle("ingress", n) for n in (
    "ingress-probe-503-mtls-strict", "kourier-ha-custom-domain-probe-timeout", "local-gateway-probe-timeout",
    "local-gateway-gateway-deleted", "kourier-istio-ingress-class-annotation"))], ids=name)
def test_probes_that_time_out_or_get_a_503_are_not_refused(b):
    assert ingress_probes.diagnose(snapshot(b)) == []
