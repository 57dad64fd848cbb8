"""STORAGE_INITIALIZER_FAILED: the storage-initializer init container cannot download the model.

Reads: the current pods of each component (init container state and lastState, restarts), the
storage-initializer's log tail, the InferenceService's storageUri and modelStatus.lastFailureInfo.
An OOM kill of this container is its own variant: no InferenceService field sizes it, so
raise-memory-limit is never offered for it.
"""

from __future__ import annotations

from core.objects import inference_service as isvclib
from core.objects import pods as podlib
from core.objects.fields import dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot
from . import storage_errors

FAILURE_LINES = (r"Error", r"Exception", r"does not exist", r"Failed", r"denied", r"NoSuch", r"[^0-9]40[134][^0-9]",
                 r"Forbidden", r"Unauthori[sz]ed", r"credential", r"timed? ?out", r"refused")

READS = (Reads((Need.FAILING_POD_LOGS, Need.POD_EVENTS)),)



def failing_init(pod: dict) -> podlib.ContainerState | None:
    c = podlib.container(pod, podlib.STORAGE_INITIALIZER)
    if c is None or c.ready:
        return None
    last_code = c.last_terminated.get("exitCode")
    if c.crash_looping or c.exited_with_error or (isinstance(last_code, int) and last_code != 0):
        return c
    if c.waiting_reason == "Error":
        return c
    return None  # CreateContainerConfigError and the like: it never ran (CONTAINER_CREATE_FAILED)


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        current = topology.current_pods(s, component)
        failing = [(p, c) for p in current if (c := failing_init(p)) is not None]
        if not failing:
            continue
        pod, c = failing[0]
        uri = isvclib.storage_uri(s.target, component) or "(no storageUri)"
        excerpt = s.log(name_of(pod), c.name)
        lines = excerpt.lines if excerpt else []
        termination = str((c.last_terminated or c.terminated).get("message") or "")
        if not lines and termination:
            lines = termination.splitlines()
        text = "\n".join(lines) + termination
        summary = build.summary_line(lines, (r"Error:", r"Exception:", r"does not exist", r"Failed"))
        oom = c.oom_killed()
        missing = storage_errors.missing_at_source(text)
        variant = "oom" if oom else "credentials" if storage_errors.credentials_refused(text) and not missing \
            else "default"
        advice = storage_errors.advice(text, missing)
        if variant == "credentials" and advice == storage_errors.GENERIC_ADVICE:
            advice = Phrase("none")  # the credentials explanation says what to check
        args = {
            "component": component, "storage_uri": uri,
            "exit_code": (oom or c.failed_exit() or {}).get("exitCode", "?"),
            "restarts": c.restarts, "pod": name_of(pod), "pod_state": build.pod_state(pod),
            "log_summary": build.quote(summary) if summary else Phrase("unread"),
            "advice": advice,
            "service_account": str(dig(s.target, "spec", component, "serviceAccountName", default="default")),
        }
        note = f"{len(failing)} of {len(current)} current pods of the {component} fail the same way"
        evidence = [
            build.declared(s.target, f"spec.{component}", uri, "the storage URI the model is downloaded from"),
            build.observed(pod, c.path, build.container_value(c), note),
            build.log(excerpt, build.telling_lines(excerpt.lines, FAILURE_LINES))
            if excerpt and excerpt.lines else None,
            *[build.event(e) for e in s.events_for("Pod", name_of(pod)) if e.get("type") == "Warning"][-3:],
        ]
        failure = isvclib.last_failure(s.target)
        if failure:
            evidence.append(build.reported(s.target, "status.modelStatus.lastFailureInfo",
                                           {k: v for k, v in failure.items() if k != "message"}))
        findings.append(build.make("STORAGE_INITIALIZER_FAILED", component, args, evidence, variant=variant,
                                   obj=pod))
    return findings
