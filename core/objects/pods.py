"""Pods and their containers: what state each container is in, read from `state` and `lastState`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import condition
from .fields import as_dict, as_list, dig, labels_of, name_of

STORAGE_INITIALIZER = "storage-initializer"
QUEUE_PROXY = "queue-proxy"
MODEL_CONTAINER = "kserve-container"
AGENT = "agent"
SIDECARS = (QUEUE_PROXY, "istio-proxy", "istio-init", "istio-validation", AGENT, "linkerd-proxy")

# Reasons a waiting container reports when its image cannot be pulled.
IMAGE_PULL_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                      "RegistryUnavailable")
# Reasons a waiting container reports when the kubelet cannot even create it.
CREATE_REASONS = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


@dataclass(frozen=True)
class ContainerState:
    """One container of one pod, with the facts diagnosers compare."""

    pod: str
    name: str
    init: bool
    index: int
    ready: bool
    restarts: int
    waiting_reason: str
    waiting_message: str
    running: bool
    terminated: dict[str, Any]       # state.terminated (the current instance has exited)
    last_terminated: dict[str, Any]  # lastState.terminated (the previous instance)

    @property
    def path(self) -> str:
        return f"status.{'initContainerStatuses' if self.init else 'containerStatuses'}[name={self.name}]"

    def oom_killed(self) -> dict[str, Any] | None:
        """The termination that was an OOM kill, current or previous; a bare 137 is not one."""
        for where, t in (("state", self.terminated), ("lastState", self.last_terminated)):
            if t.get("reason") == "OOMKilled":
                return {"where": where, **t}
        return None

    def failed_exit(self) -> dict[str, Any] | None:
        """The most recent non-zero exit that was not an OOM kill."""
        for where, t in (("state", self.terminated), ("lastState", self.last_terminated)):
            code = t.get("exitCode")
            if isinstance(code, int) and code != 0 and t.get("reason") != "OOMKilled":
                return {"where": where, **t}
        return None

    @property
    def crash_looping(self) -> bool:
        return self.waiting_reason == "CrashLoopBackOff"

    @property
    def image_pull_failing(self) -> bool:
        return self.waiting_reason in IMAGE_PULL_REASONS

    @property
    def exited_with_error(self) -> bool:
        code = self.terminated.get("exitCode")
        return isinstance(code, int) and code != 0


def _state(pod: Any, raw: dict[str, Any], init: bool, index: int) -> ContainerState:
    state, last = as_dict(raw.get("state")), as_dict(raw.get("lastState"))
    waiting = as_dict(state.get("waiting"))
    return ContainerState(
        pod=name_of(pod), name=str(raw.get("name", "")), init=init, index=index, ready=bool(raw.get("ready")),
        restarts=int(raw.get("restartCount") or 0), waiting_reason=str(waiting.get("reason") or ""),
        waiting_message=str(waiting.get("message") or ""), running="running" in state,
        terminated=as_dict(state.get("terminated")), last_terminated=as_dict(last.get("terminated")),
    )


def containers(pod: Any) -> list[ContainerState]:
    """Init containers first, then the regular ones, in the order the pod reports them."""
    out = [_state(pod, as_dict(c), True, i) for i, c in enumerate(as_list(dig(pod, "status", "initContainerStatuses")))]
    out += [_state(pod, as_dict(c), False, i) for i, c in enumerate(as_list(dig(pod, "status", "containerStatuses")))]
    return out


def container(pod: Any, name: str) -> ContainerState | None:
    return next((c for c in containers(pod) if c.name == name), None)


def spec_container(pod: Any, name: str) -> dict[str, Any]:
    for key in ("containers", "initContainers"):
        for c in as_list(dig(pod, "spec", key)):
            if isinstance(c, dict) and c.get("name") == name:
                return c
    return {}


def spec_container_path(pod: Any, name: str) -> str:
    for key in ("containers", "initContainers"):
        for i, c in enumerate(as_list(dig(pod, "spec", key))):
            if isinstance(c, dict) and c.get("name") == name:
                return f"spec.{key}[{i}]"
    return "spec"


def phase(pod: Any) -> str:
    return str(dig(pod, "status", "phase", default=""))


def is_ready(pod: Any) -> bool:
    c = condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def is_terminating(pod: Any) -> bool:
    return bool(dig(pod, "metadata", "deletionTimestamp"))


def component(pod: Any) -> str:
    labels = labels_of(pod)
    return str(labels.get("component") or labels.get("serving.kserve.io/component") or "")


def revision(pod: Any) -> str:
    return str(labels_of(pod).get("serving.knative.dev/revision") or "")


def template_hash(pod: Any) -> str:
    return str(labels_of(pod).get("pod-template-hash") or "")


def is_serving_container(name: str) -> bool:
    return name not in SIDECARS and name != STORAGE_INITIALIZER


def unhealthy(pod: Any) -> bool:
    """Pods worth a closer look: not Ready, or restarting, or stuck before running."""
    if is_terminating(pod) or phase(pod) == "Succeeded":
        return False
    return not is_ready(pod) or any(c.restarts > 0 and not c.ready for c in containers(pod))
