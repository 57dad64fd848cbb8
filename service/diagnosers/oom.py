"""CONTAINER_OOM_KILLED: a serving container is killed for exceeding its memory limit.

Reads: every current pod of each component, `state.terminated` and `lastState.terminated` of each
regular container (reason OOMKilled; a bare exit code 137 is a kill for another reason, such as a
failed liveness probe, and is not reported here), the revision's ExitCode137 and
modelStatus.lastFailureInfo as reported context, and the memory limit (core.objects.memory_limit):
the InferenceService's own, else the runtime's, else the pod's. It asks for the ServingRuntimes when
a container was OOM-killed without a limit of its own. The
storage-initializer's OOM is STORAGE_INITIALIZER_FAILED's business: nothing in the InferenceService
sizes it.
"""

from __future__ import annotations

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects import memory_limit as memory_limit_of
from core.objects import pods as podlib
from core.objects.fields import dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot


def _oom_without_a_declared_limit(s: Snapshot) -> bool:
    """An OOM kill where the InferenceService sets no memory limit: the ServingRuntime may set it."""
    for comp in topology.components(s):
        for pod in topology.current_pods(s, comp):
            for c in podlib.containers(pod):
                if c.oom_killed() and not c.init:
                    sc = isvclib.serving_container(s.target, comp, c.name)
                    if sc is None or not dig(sc.resources, "limits", "memory"):
                        return True
    return False


READS = (Reads((Need.SERVING_RUNTIMES,), when=_oom_without_a_declared_limit),)


def memory_limit(s: Snapshot, component: str, container: str, pod: Obj | None) -> tuple[str, str | Phrase]:
    """(limit, where it comes from: a field path, a runtime, or a `limit_source` phrase) for one container (the
    rule is core.objects.memory_limit's)."""
    limit = memory_limit_of.effective(s.target, component, container, s.runtimes or (), [pod] if pod else [])
    if limit.source == "spec":
        return limit.value, limit.spec_path
    if limit.source == "runtime" and limit.runtime is not None:
        return limit.value, f"{limit.runtime.get('kind')} {name_of(limit.runtime)}"
    if limit.source == "pod":
        return limit.value, Phrase.of("pod", container=container)
    return "", Phrase("none")


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        for a in topology.affected(s, component, lambda _, c: not c.init and c.oom_killed() is not None):
            pod, c = a.pod, a.container
            oom = c.oom_killed() or {}
            limit, source = memory_limit(s, component, c.name, pod)
            suggested = memory_limit_of.doubled(limit) if limit else "2Gi"
            args = {"component": component, "container": c.name, "limit": limit or "none set",
                    "limit_source": source, "restarts": c.restarts, "pod": name_of(pod), "suggested": suggested}
            evidence = [
                build.observed(pod, c.path, build.container_value(c), f"{a.note} were OOM-killed ({oom['where']})"),
                build.observed(pod, f"{podlib.spec_container_path(pod, c.name)}.resources",
                               dig(podlib.spec_container(pod, c.name), "resources"), "what the pod runs with"),
            ]
            sc = isvclib.serving_container(s.target, component, c.name)
            if sc is not None:
                evidence.append(build.declared(s.target, f"{sc.path}.resources", sc.resources or None,
                                               "what the InferenceService asks for"))
            latest = topology.latest_revision(s, component)
            if latest is not None and "137" in cond.reason(latest, "Ready"):
                evidence.append(build.condition(latest, "Ready"))
            if isvclib.last_failure(s.target).get("exitCode") == 137:
                evidence.append(build.reported(s.target, "status.modelStatus.lastFailureInfo.exitCode", 137))
            declared = limit and isinstance(source, str) and source.startswith("spec.")
            findings.append(build.make("CONTAINER_OOM_KILLED", component, args, evidence,
                                       variant="default" if declared else "no_limit", obj=pod))
        if not topology.current_pods(s, component) and (f := _reported_only(s, component)) is not None:
            findings.append(f)
    return findings


def _reported_only(s: Snapshot, component: str) -> Finding | None:
    """Exit 137 reported by Knative for the latest revision, when its pods are gone (scaled down)."""
    latest = topology.latest_revision(s, component)
    failure = isvclib.last_failure(s.target)
    reason = cond.reason(latest, "Ready") if latest is not None else ""
    if reason != "ExitCode137" and not (component == "predictor" and failure.get("exitCode") == 137):
        return None
    container = "kserve-container"
    limit, source = memory_limit(s, component, container, None)
    suggested = memory_limit_of.doubled(limit) if limit else "2Gi"
    args = {"component": component, "container": container, "revision": name_of(latest) if latest else "(unknown)",
            "reason": reason or "modelStatus.lastFailureInfo.exitCode 137", "limit": limit or "none set",
            "limit_source": source, "suggested": suggested, "restarts": "?", "pod": "(none left)"}
    evidence = [build.condition(latest, "Ready") if latest is not None else None,
                build.reported(s.target, "status.modelStatus.lastFailureInfo", failure) if failure else None]
    sc = isvclib.serving_container(s.target, component, container)
    if sc is not None:
        evidence.append(build.declared(s.target, f"{sc.path}.resources", sc.resources or None))
    return build.make("CONTAINER_OOM_KILLED", component, args, evidence, variant="reported", obj=latest or s.target)


