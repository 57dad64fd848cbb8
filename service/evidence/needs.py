"""What a diagnoser asks the second wave to read, and on what sign in the first wave.

Wave one reads what every diagnosis needs. Each diagnoser declares, as `READS`, the further evidence
it reads (a `Need`) and the sign in the wave-one snapshot that makes the read worth its request
(`when`); the gatherer reads the union of what the declarations of the registered diagnosers ask for,
in its own order of usefulness, within the request budget. How a need is read (which selector, which
container, how much of a log) is the gatherer's business; whether it is needed is the diagnoser's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from .snapshot import Snapshot


class Need(Enum):
    FAILING_POD_LOGS = "the logs of the failing containers of the failing pods (previous instance when restarting)"
    SERVER_STARTUP_LOGS = "the start of the log of a ready model server (read once per container)"
    POD_EVENTS = "the events of the failing pods"
    REVISION_EVENTS = "the events of a latest revision that is not ready"
    NETWORKING_CONTROLLER_LOGS = "the Knative networking controller's log, filtered to the service's hosts"
    KNATIVE_INGRESSES = "the Knative Ingress objects of the service's routes, and their events"
    AUTHORIZATION_POLICIES = "the namespace's Istio AuthorizationPolicies"
    INGRESS = "the Kubernetes Ingress of a RawDeployment InferenceService"
    SERVING_RUNTIMES = "the ServingRuntimes of the namespace and the ClusterServingRuntimes"
    REPLICASET_FAILED_CREATE_EVENTS = "the FailedCreate events of the namespace's ReplicaSets"
    RESOURCE_QUOTAS = "the namespace's ResourceQuotas and LimitRanges"


def always(_: Snapshot) -> bool:
    return True


@dataclass(frozen=True)
class Reads:
    """Needs and the sign that calls for them (a pure predicate over the wave-one snapshot)."""

    needs: tuple[Need, ...]
    when: Callable[[Snapshot], bool] = always


def wanted(declarations: Iterable[Reads], s: Snapshot) -> frozenset[Need]:
    """The needs that the declarations call for in this snapshot."""
    return frozenset(n for d in declarations if d.when(s) for n in d.needs)
