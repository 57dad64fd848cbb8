"""The request flow, hop by hop, and where a request dies.

Serverless: ingress gateway -> KServe VirtualService -> (for each component, transformer first)
Knative route -> revision Service -> queue-proxy -> model container. RawDeployment: Ingress (or the
KServe VirtualService) -> (for each component) Service -> Deployment -> model container. Each hop is
`ok`, `broken` or `unknown`, names the object it stands for and says why; the first broken hop is
where a request dies today.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects import pods as podlib
from core.objects.fields import annotations_of, as_list, dig, name_of

from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot
from . import catalogue
from .finding import Finding

OK, BROKEN, UNKNOWN = "ok", "broken", "unknown"
INGRESS_CLASS = "networking.knative.dev/ingress.class"
# The hops a finding can break, as its catalogue entry says (`hop` in codes.yaml).
MODEL_CONTAINER, NO_POD = "model-container", "no-pod"
INGRESS_ROUTE, INGRESS_GATEWAY = "ingress-route", "ingress-gateway"


# A RawDeployment's first hop is its Ingress, read only for that mode.
READS = (Reads((Need.INGRESS,), when=topology.is_raw),)


@dataclass(frozen=True)
class Hop:
    hop: str
    component: str
    kind: str
    name: str
    namespace: str
    status: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hop": self.hop, "status": self.status, "reason": self.reason,
                               "object": {"kind": self.kind, "name": self.name}}
        if self.namespace:
            out["object"]["namespace"] = self.namespace
        if self.component:
            out["component"] = self.component
        return out


def _codes(findings: list[Finding], component: str) -> list[str]:
    return [f.code for f in findings if f.component == component and f.severity in ("critical", "error")]


def _container_hops(s: Snapshot, component: str, pods: list[Obj], codes: list[str]) -> list[Hop]:
    hops = []
    qp_pods = [p for p in pods if podlib.container(p, podlib.QUEUE_PROXY) is not None]
    if s.knative_services or s.revisions:
        no_pod = [c for c in codes if c in catalogue.codes_breaking(NO_POD)]
        if not pods:
            status, why = (BROKEN, f"no pod exists ({', '.join(no_pod)})") if no_pod else (
                UNKNOWN, "no pod is running (scaled to zero, or not created)")
        elif any(podlib.container(p, podlib.QUEUE_PROXY) and podlib.container(p, podlib.QUEUE_PROXY).ready  # type: ignore[union-attr]
                 for p in qp_pods):
            status, why = OK, "queue-proxy is ready in at least one pod"
        elif qp_pods:
            status, why = BROKEN, "queue-proxy is not ready in any pod: it forwards only to a ready model container"
        else:
            status, why = UNKNOWN, "no queue-proxy container reported"
        hops.append(Hop("queue-proxy", component, "Pod", name_of(pods[0]) if pods else "", s.namespace, status, why))
    model = [podlib.container(p, podlib.MODEL_CONTAINER) or next(
        (c for c in podlib.containers(p) if not c.init and podlib.is_serving_container(c.name)), None) for p in pods]
    model = [c for c in model if c is not None]
    container_codes = [c for c in codes if c in catalogue.codes_breaking(MODEL_CONTAINER)]
    if any(c.ready for c in model):
        status, why = OK, "the model container is ready in at least one pod"
    elif model:
        status, why = BROKEN, "not ready in any pod" + (f": {', '.join(container_codes)}" if container_codes else "")
    elif any(c in catalogue.codes_breaking(NO_POD) for c in codes):
        status, why = BROKEN, f"no pod exists ({', '.join(c for c in codes if c in catalogue.codes_breaking(NO_POD))})"
    else:
        status, why = UNKNOWN, "no pod to look at"
    hops.append(Hop("model-container", component, "Pod", name_of(pods[0]) if pods else "", s.namespace, status, why))
    return hops


def _serverless_component(s: Snapshot, component: str, findings: list[Finding]) -> list[Hop]:
    codes = _codes(findings, component)
    ksvc = s.knative_service(component)
    ingress = catalogue.codes_breaking(INGRESS_ROUTE) | catalogue.codes_breaking(INGRESS_GATEWAY)
    ingress_broken = any(f.code in ingress for f in findings)
    route_vs = next((v for v in s.virtual_services if name_of(v) == f"{name_of(ksvc or {})}-ingress"), None)
    if ksvc is None:
        hop = Hop("knative-route", component, "Route", f"{s.name}-{component}", s.namespace,
                  BROKEN if codes else UNKNOWN, "no Knative service exists for this component"
                  + (f" ({', '.join(codes)})" if codes else ""))
    else:
        routes = cond.condition(ksvc, "RoutesReady") or {}
        if routes.get("status") == "True":
            hop = Hop("knative-route", component, "VirtualService" if route_vs else "Route",
                      name_of(route_vs) if route_vs else name_of(ksvc), s.namespace, OK, "RoutesReady is True")
        else:
            status = BROKEN if ingress_broken or routes.get("reason") == "IngressNotConfigured" else UNKNOWN
            why = (f"RoutesReady {routes.get('status', 'Unknown')}: {routes.get('reason', '')} "
                   f"{routes.get('message', '')}")
            if routes.get("reason") == "RevisionMissing":
                status, why = UNKNOWN, "the route waits for a ready revision (see the hops below)"
            hop = Hop("knative-route", component, "VirtualService" if route_vs else "Route",
                      name_of(route_vs) if route_vs else name_of(ksvc), s.namespace, status, why.strip())
    hops = [hop]
    serving = topology.serving_revision_names(s, component)
    latest = topology.latest_revision_name(s, component)
    target = serving[0] if serving else latest
    rev = s.revision(target) if target else None
    svc = next((x for x in s.services if name_of(x) in (f"{target}-private", target)), None) if target else None
    if rev is not None and cond.is_true(rev, "Ready"):
        hops.append(Hop("revision-service", component, "Service", name_of(svc) if svc else target, s.namespace, OK,
                        f"revision {target} is Ready" + ("" if svc else " (its Service was not read)")))
    else:
        why = f"revision {target or '(none)'} is not ready" + (
            f": {cond.reason(rev, 'Ready')}" if rev is not None and cond.reason(rev, "Ready") else "")
        below = [c for c in codes if c in catalogue.codes_breaking(MODEL_CONTAINER) | catalogue.codes_breaking(NO_POD)]
        if below:
            why += f" (its pods: {', '.join(below)})"
        hops.append(Hop("revision-service", component, "Service", name_of(svc) if svc else (target or ""),
                        s.namespace, BROKEN if target else UNKNOWN, why))
    pods = [p for p in s.pods_of(component) if podlib.revision(p) == target and not podlib.is_terminating(p)]
    return hops + _container_hops(s, component, pods, codes)


def _raw_component(s: Snapshot, component: str, findings: list[Finding]) -> list[Hop]:
    codes = _codes(findings, component)
    svc = next((x for x in s.services if name_of(x) == f"{s.name}-{component}"), None)
    hops = [Hop("service", component, "Service", f"{s.name}-{component}", s.namespace,
                OK if svc is not None else UNKNOWN, "exists" if svc is not None else "not found among what was read")]
    dep = next(iter(s.deployments_of(component)), None)
    if dep is None:
        hops.append(Hop("deployment", component, "Deployment", f"{s.name}-{component}", s.namespace,
                        BROKEN if codes else UNKNOWN,
                        "no Deployment exists" + (f" ({', '.join(codes)})" if codes else "")))
    else:
        avail = cond.condition(dep, "Available") or {}
        status = OK if avail.get("status") == "True" else BROKEN
        hops.append(Hop("deployment", component, "Deployment", name_of(dep), s.namespace, status,
                        f"Available {avail.get('status', 'Unknown')}" + (f": {avail.get('message')}"
                                                                         if avail.get("message") else "")))
    return hops + _container_hops(s, component, topology.current_raw_pods(s, component), codes)


def _ingress_class(s: Snapshot) -> str:
    """Which Knative ingress serves the routes ("istio", "kourier", ...), as its Ingress objects say; "" unknown."""
    kingress = next(iter(s.knative_ingresses), None)
    return str(annotations_of(kingress or {}).get(INGRESS_CLASS, "")).split(".")[0]


def _knative_ingress_hop(s: Snapshot, ingress_ready: dict[str, Any], forbidden: str) -> Hop:
    kingress = next(iter(s.knative_ingresses), None)
    cls = _ingress_class(s)
    name = name_of(kingress) if kingress is not None else f"{s.name}-predictor"
    what = f"{cls} (Knative's ingress, not Istio)" if cls else "Knative's ingress (Istio is not installed)"
    if forbidden:
        return Hop("ingress-gateway", "", "Ingress", name, s.namespace, BROKEN,
                   f"{what} answers requests without credentials with 403 ({forbidden})")
    ready = ingress_ready.get("status") == "True"
    return Hop("ingress-gateway", "", "Ingress", name, s.namespace, OK if ready else UNKNOWN,
               f"{what}: " + ("IngressReady is True" if ready else "not known to be serving this host until the "
                              "ingress is ready"))


def build(s: Snapshot, mode: str, findings: list[Finding]) -> dict[str, Any]:
    hops: list[Hop] = []
    kserve_vs = next((v for v in s.virtual_services if name_of(v) == s.name), None)
    ingress_ready = cond.condition(s.target, "IngressReady") or {}
    # the codes found that break the gateway (it refuses requests) and the route (never programmed)
    forbidden = ", ".join(sorted({f.code for f in findings if f.code in catalogue.codes_breaking(INGRESS_GATEWAY)}))
    not_configured = any(f.code in catalogue.codes_breaking(INGRESS_ROUTE) for f in findings)
    components = [c for c in ("transformer", "predictor") if c in isvclib.components(s.target)]
    if mode == isvclib.RAW:
        ing = next(iter(s.ingresses), None) or kserve_vs
        if ing is not None:
            hops.append(Hop("ingress", "", str(ing.get("kind")), name_of(ing), s.namespace, OK, "exists"))
        else:
            hops.append(Hop("ingress", "", "Ingress", s.name, s.namespace, UNKNOWN,
                            f"no Ingress or VirtualService (IngressReady {ingress_ready.get('status', 'Unknown')}"
                            f"{': ' + str(ingress_ready.get('reason')) if ingress_ready.get('reason') else ''}); "
                            "in-cluster callers use the component's Service"))
        for component in components:
            hops += _raw_component(s, component, findings)
    else:
        gateways = [str(g) for g in as_list(dig(kserve_vs, "spec", "gateways"))] if kserve_vs else []
        gw = next((g for g in gateways if "ingress-gateway" in g), "knative-serving/knative-ingress-gateway")
        gw_ns, _, gw_name = gw.rpartition("/")
        istio = s.istio_installed and _ingress_class(s) in ("", "istio")
        if not istio:
            # Kourier, Contour or Gateway API: Knative's own ingress object stands for the gateway, and
            # KServe makes no VirtualService of its own
            hops.append(_knative_ingress_hop(s, ingress_ready, forbidden))
        elif forbidden:
            hops.append(Hop("ingress-gateway", "", "Gateway", gw_name, gw_ns, BROKEN,
                            f"answers requests without credentials with 403 ({forbidden})"))
        else:
            hops.append(Hop("ingress-gateway", "", "Gateway", gw_name, gw_ns,
                            OK if ingress_ready.get("status") == "True" else UNKNOWN,
                            "IngressReady is True" if ingress_ready.get("status") == "True" else
                            "not known to be serving this host until the ingress is ready"))
        if istio and kserve_vs is not None:
            hops.append(Hop("kserve-virtualservice", "", "VirtualService", s.name, s.namespace, OK,
                            "exists and routes the InferenceService's hosts"))
        elif istio:
            status = BROKEN if not_configured or (ingress_ready.get("status") == "False" and not findings) else UNKNOWN
            reason = str(ingress_ready.get("reason") or "not created")
            hops.append(Hop("kserve-virtualservice", "", "VirtualService", s.name, s.namespace, status,
                            f"does not exist ({reason}); KServe creates it once the components are ready"))
        for component in components:
            hops += _serverless_component(s, component, findings)
    broken = next((i for i, h in enumerate(hops) if h.status == BROKEN), None)
    return {"mode": mode, "hops": [h.as_dict() for h in hops], "brokenAt": broken,
            "brokenHop": hops[broken].hop if broken is not None else None}


__all__ = ["BROKEN", "OK", "UNKNOWN", "build"]
