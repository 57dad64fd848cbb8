"""The immutable snapshot a diagnosis judges.

Gathering is the only place that talks to the API server; diagnosers receive this snapshot and
nothing else. It holds what was read (already redacted), what could not be read and why, and what
reading it cost. Objects are JSON dicts by convention never mutated after gathering (a test runs
every diagnoser over every bundle and checks the snapshot is unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.objects import pods as podlib
from core.objects.fields import dig, labels_of, name_of

Obj = dict[str, Any]


@dataclass(frozen=True)
class LogExcerpt:
    """The tail (or, for a ready server, the start) of one container's log, as read (redacted), and whether a
    cap cut it."""

    namespace: str
    pod: str
    container: str
    previous: bool
    text: str
    truncated: bool = False
    error: str = ""
    filter: str = ""  # for controller logs: what lines were kept (e.g. the service's host)
    head: bool = False  # the beginning of the log (a ready server's start-up), not its tail

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class ReadError:
    """Something the diagnosis needed and could not read."""

    what: str       # e.g. "events of pod x", "pods"
    resource: str   # e.g. "pods", "inferenceservices.serving.kserve.io"
    code: int       # HTTP status (0: no answer)
    reason: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "resource": self.resource, "code": self.code, "reason": self.reason,
                "message": self.message}


@dataclass(frozen=True)
class Snapshot:
    namespace: str
    name: str
    target: Obj  # the InferenceService, LLMInferenceService or InferenceGraph diagnosed
    read_at: str = ""
    pods: tuple[Obj, ...] = ()
    knative_services: tuple[Obj, ...] = ()
    revisions: tuple[Obj, ...] = ()
    deployments: tuple[Obj, ...] = ()
    services: tuple[Obj, ...] = ()
    virtual_services: tuple[Obj, ...] = ()
    knative_ingresses: tuple[Obj, ...] = ()
    ingresses: tuple[Obj, ...] = ()
    events: tuple[Obj, ...] = ()
    runtimes: tuple[Obj, ...] | None = None            # None: not read (not needed)
    authorization_policies: tuple[Obj, ...] | None = None
    resource_quotas: tuple[Obj, ...] | None = None
    limit_ranges: tuple[Obj, ...] | None = None
    logs: tuple[LogExcerpt, ...] = ()
    controller_logs: tuple[LogExcerpt, ...] = ()
    errors: tuple[ReadError, ...] = ()
    knative_installed: bool = True
    istio_installed: bool = True
    requests: int = 0
    bytes_read: int = 0
    cache_age_seconds: float | None = None
    truncated: tuple[str, ...] = ()   # lists that had more than a page (only the first page was read)
    read_kinds: frozenset[str] = field(default_factory=frozenset)

    # -- lookups diagnosers share ----------------------------------------------------------------

    def pods_of(self, component: str) -> list[Obj]:
        return [p for p in self.pods if podlib.component(p) == component]

    def revisions_of(self, component: str) -> list[Obj]:
        return [r for r in self.revisions if labels_of(r).get("component") == component]

    def knative_service(self, component: str) -> Obj | None:
        return next((s for s in self.knative_services if labels_of(s).get("component") == component), None)

    def revision(self, name: str) -> Obj | None:
        return next((r for r in self.revisions if name_of(r) == name), None)

    def deployments_of(self, component: str) -> list[Obj]:
        return [d for d in self.deployments if labels_of(d).get("component") == component]

    def events_for(self, kind: str, name: str) -> list[Obj]:
        out = [e for e in self.events if dig(e, "involvedObject", "kind") == kind
               and dig(e, "involvedObject", "name") == name]
        return sorted(out, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))

    def log(self, pod: str, container: str, previous: bool | None = None) -> LogExcerpt | None:
        for lg in self.logs:
            if lg.pod == pod and lg.container == container and (previous is None or lg.previous == previous):
                return lg
        return None

    def logs_of(self, containers: Iterable[str]) -> list[LogExcerpt]:
        wanted = set(containers)
        return [lg for lg in self.logs if lg.container in wanted]

    def error_for(self, resource: str) -> ReadError | None:
        return next((e for e in self.errors if e.resource == resource), None)

    @property
    def partial(self) -> bool:
        return bool(self.errors)
