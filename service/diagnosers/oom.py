"""CONTAINER_OOM_KILLED: a serving container is killed for exceeding its memory limit.

Reads: every current pod of each component, `state.terminated` and `lastState.terminated` of each
regular container (reason OOMKilled; a bare exit code 137 is a kill for another reason, such as a
failed liveness probe, and is not reported here), the revision's ExitCode137 and
modelStatus.lastFailureInfo as reported context, and the memory limit: the InferenceService's own,
else the pod's (which includes what the ServingRuntime gives), else the runtime's. The
storage-initializer's OOM is STORAGE_INITIALIZER_FAILED's business: nothing in the InferenceService
sizes it.
"""

from __future__ import annotations

from ..diagnosis import build
from ..diagnosis.finding import Finding, Offer
from ..evidence import topology
from ..evidence.snapshot import Obj, Snapshot
from ..objects import conditions as cond
from ..objects import inference_service as isvclib
from ..objects import pods as podlib
from ..objects.fields import as_list, dig, name_of
from ..quantities import QuantityError, doubled_memory, format_bytes, parse


def memory_limit(s: Snapshot, component: str, container: str, pod: Obj | None) -> tuple[str, str]:
    """(limit, where it comes from) for one container: the InferenceService's own, else its ServingRuntime's,
    else what the pod runs with (a LimitRange default, or a runtime that could not be read)."""
    sc = isvclib.serving_container(s.isvc, component, container)
    declared = dig(sc.resources, "limits", "memory") if sc else None
    if declared:
        return str(declared), f"{sc.path}.resources.limits.memory"  # type: ignore[union-attr]
    for rt in s.runtimes or ():
        if name_of(rt) == isvclib.runtime_name(s.isvc):
            for c in as_list(dig(rt, "spec", "containers")):
                if isinstance(c, dict) and c.get("name") == container and dig(c, "resources", "limits", "memory"):
                    return str(c["resources"]["limits"]["memory"]), f"{rt.get('kind')} {name_of(rt)}"
    applied = dig(podlib.spec_container(pod, container), "resources", "limits", "memory") if pod else None
    if applied:
        return str(applied), f"the pod's {container} (set by the ServingRuntime or a LimitRange)"
    return "", "no memory limit"


def suggestion(limit: str) -> str:
    try:
        return format_bytes(doubled_memory(parse(limit)))
    except QuantityError:
        return ""


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in isvclib.components(s.isvc):
        for a in topology.affected(s, component, lambda _, c: not c.init and c.oom_killed() is not None):
            pod, c = a.pod, a.container
            oom = c.oom_killed() or {}
            limit, source = memory_limit(s, component, c.name, pod)
            suggested = suggestion(limit) if limit else "2Gi"
            sidecar = c.name in podlib.SIDECARS
            args = {"component": component, "container": c.name, "limit": limit or "none set",
                    "limit_source": source, "restarts": c.restarts, "pod": name_of(pod), "suggested": suggested}
            evidence = [
                build.observed(pod, c.path, build.container_value(c), f"{a.note} were OOM-killed ({oom['where']})"),
                build.observed(pod, f"{podlib.spec_container_path(pod, c.name)}.resources",
                               dig(podlib.spec_container(pod, c.name), "resources"), "what the pod runs with"),
            ]
            sc = isvclib.serving_container(s.isvc, component, c.name)
            if sc is not None:
                evidence.append(build.declared(s.isvc, f"{sc.path}.resources", sc.resources or None,
                                               "what the InferenceService asks for"))
            latest = topology.latest_revision(s, component)
            if latest is not None and "137" in cond.reason(latest, "Ready"):
                evidence.append(build.condition(latest, "Ready"))
            if isvclib.last_failure(s.isvc).get("exitCode") == 137:
                evidence.append(build.reported(s.isvc, "status.modelStatus.lastFailureInfo.exitCode", 137))
            offers = [] if sidecar else [Offer("raise-memory-limit",
                                               {"component": component, "container": c.name, "memory": suggested},
                                               f"Raise the memory limit of {c.name} to {suggested}")]
            findings.append(build.make("CONTAINER_OOM_KILLED", component, args, evidence,
                                       variant="default" if limit and source.startswith("spec.") else "no_limit",
                                       offers=offers, obj=pod))
        if not topology.current_pods(s, component) and (f := _reported_only(s, component)) is not None:
            findings.append(f)
    return findings


def _reported_only(s: Snapshot, component: str) -> Finding | None:
    """Exit 137 reported by Knative for the latest revision, when its pods are gone (scaled down)."""
    latest = topology.latest_revision(s, component)
    failure = isvclib.last_failure(s.isvc)
    reason = cond.reason(latest, "Ready") if latest is not None else ""
    if reason != "ExitCode137" and not (component == "predictor" and failure.get("exitCode") == 137):
        return None
    container = "kserve-container"
    limit, source = memory_limit(s, component, container, None)
    suggested = suggestion(limit) if limit else "2Gi"
    args = {"component": component, "container": container, "revision": name_of(latest) if latest else "(unknown)",
            "reason": reason or "modelStatus.lastFailureInfo.exitCode 137", "limit": limit or "none set",
            "limit_source": source, "suggested": suggested, "restarts": "?", "pod": "(none left)"}
    evidence = [build.condition(latest, "Ready") if latest is not None else None,
                build.reported(s.isvc, "status.modelStatus.lastFailureInfo", failure) if failure else None]
    sc = isvclib.serving_container(s.isvc, component, container)
    if sc is not None:
        evidence.append(build.declared(s.isvc, f"{sc.path}.resources", sc.resources or None))
    return build.make("CONTAINER_OOM_KILLED", component, args, evidence, variant="reported", obj=latest or s.isvc,
                      offers=[Offer("raise-memory-limit", {"component": component, "container": container,
                                                           "memory": suggested},
                                    f"Raise the memory limit of {container} to {suggested}")])


