"""PROBE_FAILING: a serving container runs, but its readiness, liveness or startup probe fails.

Reads: current pods, `Unhealthy` events (`Readiness probe failed: ...`, `Liveness probe failed:
...`, `Startup probe failed: ...`) and the container they name (event fieldPath), the container's
state, its probe spec, and the current log tail. A readiness failure of a container that is
crash-looping or OOM-killed is a symptom of that, not a finding here; a liveness or startup failure
that keeps killing the container (exit 137 or 143 without OOMKilled) is: the crash loop it makes is
the kubelet's doing. Startup failures of a container that has since started are history.
"""

from __future__ import annotations

import re

from core.objects import pods as podlib
from core.objects.fields import dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot

_FIELD = re.compile(r"spec\.(?:initContainers|containers)\{([^}]+)\}")
# Probes whose failure makes the kubelet kill and restart the container (a readiness probe only unreadies it).
KILLING_PROBES = ("liveness", "startup")

READS = (Reads((Need.FAILING_POD_LOGS, Need.POD_EVENTS)),)



def advice(detail: str) -> Phrase:
    """What to do, by what the probe got (the words are the code's `advice` phrases)."""
    d = detail.lower()
    if re.search(r"statuscode: 5\d\d|\b503\b|\b500\b", d):
        return Phrase("not_ready")
    if "connection refused" in d:
        return Phrase("refused")
    if "statuscode: 404" in d or " 404" in d:
        return Phrase("not_found")
    if "timeout" in d or "deadline exceeded" in d:
        return Phrase("timeout")
    return Phrase("default")


def _probe_events(s: Snapshot, pod: Obj) -> dict[tuple[str, str], list[Obj]]:
    out: dict[tuple[str, str], list[Obj]] = {}
    for e in s.events_for("Pod", name_of(pod)):
        msg = str(e.get("message", ""))
        m = re.match(r"(Readiness|Liveness|Startup) probe failed", msg)
        if not m:
            continue
        fp = _FIELD.search(str(dig(e, "involvedObject", "fieldPath", default="")))
        container = fp.group(1) if fp else podlib.MODEL_CONTAINER
        out.setdefault((m.group(1).lower(), container), []).append(e)
    return out


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        reported: set[tuple[str, str]] = set()
        current = topology.current_pods(s, component)
        for pod in current:
            for (probe, container), events in _probe_events(s, pod).items():
                c = podlib.container(pod, container)
                if c is None or (probe, container) in reported:
                    continue
                target = c
                if container == podlib.QUEUE_PROXY:
                    # On Knative, queue-proxy runs the model container's readiness probe: the kubelet sees
                    # queue-proxy unready while the model container reports ready. Judge the probe by
                    # queue-proxy, and rule out a model container that is crashing or OOM-killed.
                    model = podlib.container(pod, podlib.MODEL_CONTAINER)
                    if model is not None and (model.oom_killed() or model.crash_looping or not model.running):
                        continue
                    if probe == "readiness" and (c.ready or not c.running):
                        continue
                    target = model or c
                elif target.oom_killed() or (target.crash_looping and probe not in KILLING_PROBES) or (
                        probe == "readiness" and (target.ready or not target.running)):
                    continue
                if probe == "startup" and target.ready:
                    continue
                killed = target.failed_exit() or {}
                if probe in KILLING_PROBES and not (target.restarts > 0 and killed.get("exitCode") in (137, 143)):
                    continue
                reported.add((probe, container))
                count = sum(int(e.get("count") or 1) for e in events)
                detail = str(events[-1].get("message", "")).split(":", 1)[-1].strip()
                spec_probe = dig(podlib.spec_container(pod, target.name), f"{probe}Probe")
                excerpt = s.log(name_of(pod), target.name, False)
                args = {"component": component, "container": target.name, "probe": probe, "count": count,
                        "detail": build.quote(detail), "advice": advice(detail),
                        "exit_code": killed.get("exitCode", "?")}
                evidence = [
                    build.observed(pod, target.path, build.container_value(target),
                                   f"in {len(current)} current pod(s) of the {component}"),
                    *[build.event(e) for e in events[-2:]],
                    build.observed(pod, f"{podlib.spec_container_path(pod, target.name)}.{probe}Probe", spec_probe)
                    if spec_probe else None,
                    build.log(excerpt, build.telling_lines(excerpt.lines, (r"health", r"ready", r"error", r" 5\d\d ")))
                    if excerpt and excerpt.text else None,
                ]
                findings.append(build.make(
                    "PROBE_FAILING", component, args, evidence,
                    variant=probe if probe in KILLING_PROBES else "default",
                    obj=pod))
    return findings
