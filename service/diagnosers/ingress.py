"""INGRESS_NOT_CONFIGURED: the model runs, but the network path to it never became ready.

Reads: the route-level conditions of the InferenceService, Knative service and route that name an
ingress reason (IngressNotConfigured, Uninitialized "Waiting for load balancer to be ready",
ReconcileIngressFailed), the Knative Ingress (LoadBalancerReady) and its events, the networking
controller's log lines about this service's hosts, and the revision's readiness: an ingress that
waits for a revision that is not ready is a consequence, reported as REVISION_MISSING instead.
"""

from __future__ import annotations

import json
import re

from core.objects import conditions as cond
from core.objects import knative
from core.objects.fields import name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

# What the networking controller logs when the ingress cannot be programmed or probed.
CONTROLLER_FAILURE = re.compile(r"Probing of .* failed|failed to probe|failed to get Gateway|Failed to reconcile|"
                                r"not found|i/o timeout|context deadline exceeded|connection refused", re.I)
ABANDONED = re.compile(r"abandon", re.I)

READS = (Reads((Need.NETWORKING_CONTROLLER_LOGS, Need.KNATIVE_INGRESSES), when=topology.ingress_not_ready),)



def diagnose(s: Snapshot) -> list[Finding]:
    for component in topology.components(s):
        ksvc = s.knative_service(component)
        latest = topology.latest_revision(s, component)
        holders = knative.ingress_conditions([o for o in (ksvc, s.target) if o is not None])
        if not holders:
            continue
        if latest is not None and not cond.is_true(latest, "Ready"):
            continue  # the route waits for a revision: REVISION_MISSING and its causes explain it
        obj, c = holders[0]
        kingress = next((k for k in s.knative_ingresses if name_of(k) == name_of(ksvc or {})), None)
        host = f"{name_of(ksvc) if ksvc else s.name + '-' + component}.{s.namespace}"
        lines = [(lg, ln) for lg in s.controller_logs for ln in lg.lines
                 if CONTROLLER_FAILURE.search(ln) and not ABANDONED.search(ln)]
        events = [e for e in s.events_for("Ingress", name_of(ksvc or {})) if e.get("type") == "Warning"]
        said = (str(events[-1].get("message")) if events else
                _message_of(lines[-1][1]) if lines else "")
        args = {"component": component, "revision": name_of(latest) if latest else "(unknown)",
                "resource": f"{obj.get('kind')} {name_of(obj)}", "reason": c.get("reason"),
                "message_suffix": build.suffix(str(c.get("message", ""))), "knative_namespace": "knative-serving",
                "host": host,
                "controller_says": Phrase.of("said", said=build.quote(said)) if said else Phrase("nothing")}
        evidence = [
            build.condition(obj, str(c.get("type"))),
            build.condition(kingress, "LoadBalancerReady") if kingress is not None else None,
            build.condition(latest, "Ready", "the revision itself is ready") if latest is not None else None,
            *[build.event(e) for e in events[-1:]],
        ]
        if lines:
            lg = lines[0][0]
            evidence.append(build.log(lg, [ln for x, ln in lines if x is lg][-5:],
                                      "networking controller log, lines about this service"))
        variant = "default" if (s.controller_logs or events) else "probes_unknown"
        return [build.make("INGRESS_NOT_CONFIGURED", "ingress", args, evidence, variant=variant,
                           obj=kingress or ksvc or s.target)]
    return []


def _message_of(line: str) -> str:
    """The message of a JSON log line (Knative logs JSON; older releases say `msg`), else the line itself."""
    try:
        data = json.loads(line)
    except ValueError:
        return line
    if isinstance(data, dict):
        return " ".join(str(data.get(k, "")) for k in ("message", "msg", "error") if data.get(k))
    return line
