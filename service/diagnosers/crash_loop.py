"""CONTAINER_CRASH_LOOP: a serving container keeps exiting for a reason other than OOM.

Reads: every current pod of each component: regular containers in CrashLoopBackOff, or restarting
after non-zero exits; the previous instance's log tail (the traceback) and termination message.
Kills that follow a failing liveness or startup probe (exit 137 or 143 with `Liveness probe failed` /
`Startup probe failed` events, or the kubelet's `Killing` event saying so) are PROBE_FAILING's
business, OOM kills CONTAINER_OOM_KILLED's; pods of old revisions are history.
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
from ..evidence.snapshot import Snapshot

ERROR_LINES = (r"^Traceback", r"Error", r"Exception", r"^\s*\w*(Error|Exception|Iteration|Exit)\b", r"panic:",
               r"fatal", r"FATAL")

READS = (Reads((Need.FAILING_POD_LOGS, Need.POD_EVENTS)),)



_PROBE_KILL = re.compile(r"^(Liveness|Startup) probe failed|failed (liveness|startup) probe")


def probe_killed(s: Snapshot, pod: dict, container: str) -> bool:
    for e in s.events_for("Pod", name_of(pod)):
        if _PROBE_KILL.search(str(e.get("message", ""))) and container in str(
                dig(e, "involvedObject", "fieldPath", default=container)):
            return True
    return False


def crashing(c: podlib.ContainerState) -> dict | None:
    """The failed exit behind a crash loop, or None."""
    if c.init or c.oom_killed() or c.ready:
        return None
    exit_ = c.failed_exit()
    if c.crash_looping and exit_ is None and c.last_terminated:
        exit_ = {"where": "lastState", **c.last_terminated}
    if exit_ is None or not (c.crash_looping or c.restarts > 0 or c.exited_with_error):
        return None
    return exit_


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        def shows(pod: dict, c: podlib.ContainerState) -> bool:
            exit_ = crashing(c)
            return exit_ is not None and not (exit_.get("exitCode") in (137, 143) and probe_killed(s, pod, c.name))

        for a in topology.affected(s, component, shows):
            pod, c = a.pod, a.container
            exit_ = crashing(c) or {}
            excerpt = s.log(name_of(pod), c.name, True) or s.log(name_of(pod), c.name, False)
            lines = excerpt.lines if excerpt and excerpt.text else str(exit_.get("message") or "").splitlines()
            summary = build.summary_line(lines, (r"^\s*\w+(Error|Exception|Iteration)\b.*$",))
            args = {"component": component, "container": c.name, "exit_code": exit_.get("exitCode", "?"),
                    "restarts": c.restarts, "state": c.waiting_reason or build.pod_state(pod),
                    "log_summary": build.quote(summary) if summary else Phrase("empty")}
            evidence = [
                build.observed(pod, c.path, build.container_value(c), f"{a.note} crash the same way"),
                build.log(excerpt, build.telling_lines(excerpt.lines, ())) if excerpt and excerpt.text else (
                    build.observed(pod, f"{c.path}.lastState.terminated.message", exit_.get("message"))
                    if exit_.get("message") else None),
                *[build.event(e) for e in s.events_for("Pod", name_of(pod)) if e.get("reason") == "BackOff"][-1:],
            ]
            latest = topology.latest_revision(s, component)
            if latest is not None:
                evidence.append(build.condition(latest, "ContainerHealthy"))
            findings.append(build.make(
                "CONTAINER_CRASH_LOOP", component, args, evidence, obj=pod))
    return findings
