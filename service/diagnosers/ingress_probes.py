"""INGRESS_PROBE_FORBIDDEN: the gateway answers Knative's readiness probes with 403.

Reads: the Knative networking controller's log lines about this service's hosts ("Probing of ...
failed ... unexpected status code: want 200, got 403"), condition messages that quote the same,
and the namespace's Istio AuthorizationPolicies (the usual cause) when they were read.
"""

from __future__ import annotations

import re

from core.objects import knative
from core.objects.fields import as_list, dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

# Probes refused by an auth layer: 403 (Istio RBAC / AuthorizationPolicy), 401 (a JWT or IAP policy),
# 302 (an auth proxy redirecting to its login page). Newer Knative logs such probes as "abandoned" and
# counts them as success: those lines are not failures.
FORBIDDEN = re.compile(r"got \[?(40[13]|30[27])\]?|status code:? (40[13]|30[27])|403 Forbidden|RBAC: access denied",
                       re.I)
_STATUS = re.compile(r"got \[?(\d{3})|status code:? (\d{3})|(403) Forbidden")
ABANDONED = re.compile(r"abandon", re.I)

READS = (Reads((Need.NETWORKING_CONTROLLER_LOGS, Need.KNATIVE_INGRESSES, Need.AUTHORIZATION_POLICIES),
               when=topology.ingress_not_ready),)



def diagnose(s: Snapshot) -> list[Finding]:
    lines = [(lg, ln) for lg in s.controller_logs for ln in lg.lines
             if FORBIDDEN.search(ln) and not ABANDONED.search(ln)]
    conds = [(obj, c) for obj, c in knative.ingress_conditions([s.target, *s.knative_services, *s.knative_ingresses])
             if FORBIDDEN.search(str(c.get("message", "")))]
    if not lines and not conds:
        return []
    policies = list(s.authorization_policies or ())
    sentence = Phrase("none")
    if policies:
        sentence = Phrase.of("none_admits" if all(as_list(dig(p, "spec", "rules")) for p in policies) else "listed",
                             namespace=s.namespace, policies=", ".join(name_of(p) for p in policies))
    statuses = sorted({next(g for g in m.groups() if g) for _, ln in lines if (m := _STATUS.search(ln))})
    args = {"count": len(lines) or len(conds), "policies_sentence": sentence,
            "status": "/".join(statuses) or "403"}
    evidence = []
    if lines:
        lg = lines[0][0]
        evidence.append(build.log(lg, [ln for _, ln in lines if _ is lg][-5:],
                                  f"networking controller log, {len(lines)} lines about this service answered 403"))
    evidence += [build.condition(obj, str(c.get("type"))) for obj, c in conds[:2]]
    evidence += [build.declared(p, "spec", dig(p, "spec"), "Istio AuthorizationPolicy in the namespace")
                 for p in policies[:3]]
    return [build.make("INGRESS_PROBE_FORBIDDEN", "ingress", args, evidence,
                       obj=policies[0] if len(policies) == 1 else None)]
