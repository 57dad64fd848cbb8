"""Knative's view of a component's network path: which conditions say the ingress is not ready."""

from __future__ import annotations

from typing import Any

from .conditions import conditions

# Reasons Knative (and KServe copying it) gives a route whose ingress is not programmed yet:
# IngressNotConfigured (no controller reconciled it), Uninitialized ("Waiting for load balancer to be
# ready": the gateway probes have not succeeded), ReconcileIngressFailed (the controller failed).
INGRESS_REASONS = ("IngressNotConfigured", "Uninitialized", "ReconcileIngressFailed", "LoadBalancerNotReady")
# Conditions that describe the route / ingress (not the revision) on each kind of object.
ROUTE_CONDITIONS = ("Ready", "RoutesReady", "IngressReady", "LoadBalancerReady", "PredictorReady",
                    "PredictorRouteReady", "TransformerReady", "TransformerRouteReady", "ExplainerReady",
                    "ExplainerRouteReady")


def ingress_conditions(objs: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(object, condition) pairs that say the ingress is not ready, in the order given."""
    out = []
    for obj in objs:
        for c in conditions(obj):
            if c.get("type") in ROUTE_CONDITIONS and c.get("status") != "True" and c.get("reason") in INGRESS_REASONS:
                out.append((obj, c))
    return out
