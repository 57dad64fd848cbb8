"""Which objects are the current state of each component, and which are history.

A component's pods and events outlive the revisions that made them: a canary's old revision keeps
serving while the new one fails, and scaled-down revisions leave pods terminating and events behind.
Findings must be about the current state, so every diagnoser asks here which revision is the latest
one created (the one being rolled out), which revisions take traffic, and which pods belong to them.
For RawDeployment, the current pods are those of the newest pod template of the component's
Deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from core.objects import inference_service as isvclib
from core.objects import knative
from core.objects import pods as podlib
from core.objects.fields import as_list, created, dig, labels_of, name_of

from .snapshot import Obj, Snapshot


def components(s: Snapshot) -> list[str]:
    """The components (or, for an LLMInferenceService, the workloads) whose pods serve the target, in the
    order findings name them."""
    return isvclib.components(s.target)


def latest_revision_name(s: Snapshot, component: str) -> str:
    ksvc = s.knative_service(component)
    name = dig(ksvc, "status", "latestCreatedRevisionName") if ksvc else None
    name = name or isvclib.component_status(s.target, component).get("latestCreatedRevision")
    if name:
        return str(name)
    revs = sorted(s.revisions_of(component), key=lambda r: (created(r), name_of(r)))
    return name_of(revs[-1]) if revs else ""


def latest_revision(s: Snapshot, component: str) -> Obj | None:
    name = latest_revision_name(s, component)
    return s.revision(name) if name else None


def ready_revision_name(s: Snapshot, component: str) -> str:
    ksvc = s.knative_service(component)
    name = dig(ksvc, "status", "latestReadyRevisionName") if ksvc else None
    return str(name or isvclib.component_status(s.target, component).get("latestReadyRevision") or "")


def traffic(s: Snapshot, component: str) -> list[dict[str, Any]]:
    ksvc = s.knative_service(component)
    t = as_list(dig(ksvc, "status", "traffic")) if ksvc else []
    return t or as_list(isvclib.component_status(s.target, component).get("traffic"))


def serving_revision_names(s: Snapshot, component: str) -> list[str]:
    """Revisions that take a share of traffic (the ones requests reach today)."""
    out = []
    for t in traffic(s, component):
        name = t.get("revisionName") if isinstance(t, dict) else None
        if name and (t.get("percent") or 0) > 0 and name not in out:
            out.append(str(name))
    return out


def current_raw_pods(s: Snapshot, component: str) -> list[Obj]:
    pods = [p for p in s.pods_of(component) if not podlib.is_terminating(p)]
    if not pods:
        return []
    newest = max(pods, key=lambda p: (created(p), name_of(p)))
    current_hash = podlib.template_hash(newest)
    return [p for p in pods if podlib.template_hash(p) == current_hash]


def current_pods(s: Snapshot, component: str) -> list[Obj]:
    """Pods of the revision being rolled out (Serverless) or the newest template (RawDeployment)."""
    if s.knative_services or s.revisions:
        latest = latest_revision_name(s, component)
        return [p for p in s.pods_of(component) if podlib.revision(p) == latest and not podlib.is_terminating(p)]
    return current_raw_pods(s, component)


def serving_pods(s: Snapshot, component: str) -> list[Obj]:
    names = set(serving_revision_names(s, component))
    return [p for p in s.pods_of(component) if podlib.revision(p) in names and not podlib.is_terminating(p)]


def failing_current_pods(s: Snapshot, component: str) -> list[Obj]:
    return [p for p in current_pods(s, component) if podlib.unhealthy(p)]


def is_history(s: Snapshot, obj: Obj) -> bool:
    """Whether an object belongs to a revision that is neither the latest nor serving."""
    rev = labels_of(obj).get("serving.knative.dev/revision")
    if not rev:
        return False
    comp = labels_of(obj).get("component", "predictor")
    return rev != latest_revision_name(s, comp) and rev not in serving_revision_names(s, comp)


@dataclass(frozen=True)
class Affected:
    """A container of the current pods that shows a failure: one example pod, and every pod where it shows."""

    pod: Obj
    container: podlib.ContainerState
    peers: list[Obj]
    current: list[Obj]

    @property
    def note(self) -> str:
        return f"{len(self.peers)} of {len(self.current)} current pods of the {podlib.component(self.pod)}"


def affected(s: Snapshot, component: str,
             shows: Callable[[Obj, podlib.ContainerState], bool]) -> Iterator[Affected]:
    """Each container name for which `shows` holds in a current pod, once, with a pod that is down now (waiting
    to restart) preferred as the example over one that came back up."""
    current = current_pods(s, component)
    ordered = sorted(current, key=lambda p: not any(c.crash_looping for c in podlib.containers(p)))
    seen: set[str] = set()
    for pod in ordered:
        for c in podlib.containers(pod):
            if c.name in seen or not shows(pod, c):
                continue
            seen.add(c.name)
            peers = [p for p in current if (x := podlib.container(p, c.name)) is not None and shows(p, x)]
            yield Affected(pod, c, peers, current)


def ingress_not_ready(s: Snapshot) -> bool:
    """Whether the InferenceService or its Knative services report an ingress condition that is not True."""
    return bool(knative.ingress_conditions([s.target, *s.knative_services]))


def is_raw(s: Snapshot) -> bool:
    """Whether the InferenceService runs as a RawDeployment (Deployments, not Knative services)."""
    return isvclib.deployment_mode(s.target, has_knative=bool(s.knative_services),
                                   has_raw=bool(s.deployments)) == isvclib.RAW
