"""Gathering: the only code that reads the cluster for a diagnosis, in two concurrent waves.

Wave one reads, all at once, what any diagnosis needs and can name up front: the InferenceService,
its pods, Knative services and revisions, Deployments, Services and VirtualServices (all scoped by the
labels KServe and Knative put on them), the InferenceService's own events and the Knative networking
controller's pods. Wave two reads only what the diagnosers declare they read (`READS`, see needs.py)
and wave one shows a sign of: events of the failing pods and revisions, the tails of the logs of the
containers that fail, the networking controller's log (filtered to this service's hosts) when the
ingress is not ready, runtimes, quotas. A diagnosis
therefore costs two round trips and a fixed number of requests whatever the size of the namespace;
`max_requests` caps it, dropping the least useful reads first.

A read that fails is recorded as a `ReadError` and the snapshot is partial; only a missing
InferenceService (404) or an API server that does not answer at all ends the request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.kube import Deadline, Kube, Ledger
from core.kube import errors as kerr
from core.kube import resources as R
from core.kube.selectors import Fields, Labels
from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects import pods as podlib
from core.objects.fields import as_list, dig, name_of

from . import redact, topology
from .cache import CACHED, WatchCache
from .needs import Need, Reads, wanted
from .snapshot import LogExcerpt, Obj, ReadError, Snapshot

# The label KServe puts on everything it creates for an InferenceService.
OWNER = "serving.kserve.io/inferenceservice"
# Label values of the Knative networking controllers whose logs explain ingress probe failures.
NETWORKING_CONTROLLERS = ("net-istio-controller", "networking-istio", "net-kourier-controller",
                          "net-contour-controller", "net-gateway-api-controller")


@dataclass(frozen=True)
class GatherSettings:
    deadline_seconds: float = 10.0
    max_requests: int = 20
    knative_namespace: str = "knative-serving"
    log_tail_lines: int = 200
    log_limit_bytes: int = 64 * 1024
    controller_log_tail_lines: int = 1000
    controller_log_limit_bytes: int = 512 * 1024
    controller_log_keep_lines: int = 40
    # Knative's HA runs several replicas and only the leader of this service's bucket probes it, so the
    # replica that knows is any of them; three is Knative's default HA size.
    controller_log_max_pods: int = 3
    event_limit: int = 200
    # A ready server that never found its model still answers its probes: its start-up says so. The head
    # of the log is read once per container (it does not change once the server is up).
    startup_log_limit_bytes: int = 16 * 1024
    startup_log_memo_entries: int = 4096


class IsvcNotFound(Exception):
    def __init__(self, namespace: str, name: str, message: str, ledger: Ledger) -> None:
        super().__init__(message)
        self.namespace, self.name, self.message, self.ledger = namespace, name, message, ledger


class ApiUnavailable(Exception):
    """The API server did not answer any read: nothing can be diagnosed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Read:
    key: str
    what: str
    resource: str
    call: Callable[[Ledger, Deadline], Any]
    # a 404 on this list means the API (a CRD) is not installed, which is a fact, not an error
    optional_api: str = ""


class _Missing:
    """Stands for an optional API that the cluster does not serve."""


MISSING = _Missing()


class Gatherer:
    def __init__(self, kube: Kube, pool: Executor, reads: Sequence[Reads], settings: GatherSettings | None = None,
                 cache: WatchCache | None = None) -> None:
        """reads: what the registered diagnosers declare they read beyond wave one (see needs.py)."""
        self.kube = kube
        self.reads = tuple(reads)
        self.pool = pool
        self.settings = settings or GatherSettings()
        self.cache = cache
        self._startup_logs: dict[tuple[str, str, str], LogExcerpt] = {}

    # -- a namespace at a glance ---------------------------------------------------------------

    def gather_namespace(self, namespace: str) -> tuple[list[Snapshot], list[ReadError], Ledger]:
        """Status-level snapshots of every InferenceService of a namespace, from four paged lists.

        What is read grows with the number of InferenceServices (their Knative services, revisions and
        Deployments carry the InferenceService's label), never with pods or events, which this view does
        not read: pod-level causes show as what the revisions report.
        """
        ledger, deadline = Ledger(), Deadline.after(self.settings.deadline_seconds)
        errors: list[ReadError] = []
        owned = Labels.of(exists=(OWNER,))

        def paged(key: str, what: str, r: R.Resource, labels: Labels | None = None) -> Read:
            def call(ledger: Ledger, deadline: Deadline) -> Any:
                informer = self.cache.informer(r) if self.cache is not None else None
                if informer is not None:
                    return {"items": informer.list(namespace, labels)}
                items: list[Any] = []
                token = None
                while True:
                    page = self.kube.list(r, namespace, labels=labels, limit=500, cont=token, ledger=ledger,
                                          deadline=deadline)
                    items += as_list(page.get("items"))
                    token = dig(page, "metadata", "continue")
                    if not token:
                        return {"items": items}
            optional = "" if r is R.INFERENCE_SERVICES else "optional"
            return Read(key, what, r.label, call, optional)

        got = self._run([paged("isvcs", "InferenceServices", R.INFERENCE_SERVICES),
                         paged("ksvc", "Knative services", R.KNATIVE_SERVICES, owned),
                         paged("revisions", "Knative revisions", R.REVISIONS, owned),
                         paged("deployments", "Deployments", R.DEPLOYMENTS, owned)], ledger, deadline, errors)
        if any(e.resource == R.INFERENCE_SERVICES.label and (e.code == 0 or e.code >= 500) for e in errors):
            raise ApiUnavailable(next(e.message for e in errors if e.resource == R.INFERENCE_SERVICES.label))
        read_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        by_owner: dict[str, dict[str, list[Obj]]] = {}
        for key in ("ksvc", "revisions", "deployments"):
            for obj in _items(got.get(key)):
                owner = str(dig(obj, "metadata", "labels", OWNER, default=""))
                by_owner.setdefault(owner, {}).setdefault(key, []).append(obj)
        snaps = []
        for isvc in _items(got.get("isvcs")):
            mine = by_owner.get(name_of(isvc), {})
            snaps.append(Snapshot(namespace=namespace, name=name_of(isvc), target=isvc, read_at=read_at,
                                  knative_services=tuple(mine.get("ksvc", ())),
                                  revisions=tuple(mine.get("revisions", ())),
                                  deployments=tuple(mine.get("deployments", ())),
                                  knative_installed=got.get("ksvc") is not MISSING,
                                  read_kinds=frozenset({"status-only"})))
        return snaps, errors, ledger

    # -- the waves -----------------------------------------------------------------------------

    def gather(self, namespace: str, name: str) -> Snapshot:
        ledger, deadline = Ledger(), Deadline.after(self.settings.deadline_seconds)
        truncated: list[str] = []
        errors: list[ReadError] = []
        first = self._run(self._first_wave(namespace, name), ledger, deadline, errors, truncated)
        isvc = first.get("isvc")
        isvc_error = next((e for e in errors if e.resource == R.INFERENCE_SERVICES.label), None)
        if isvc_error and isvc_error.code == 404:
            raise IsvcNotFound(namespace, name, isvc_error.message, ledger)
        if isvc_error and (isvc_error.code == 0 or isvc_error.code >= 500 or isvc_error.code == 429):
            # without the InferenceService there is nothing to judge: say the API server failed, not "partial"
            raise ApiUnavailable(f"reading {isvc_error.what}: {isvc_error.message}")
        snap = Snapshot(
            namespace=namespace, name=name, target=redact.obj(isvc) if isinstance(isvc, dict) else {},
            read_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            pods=_items(first.get("pods")), knative_services=_items(first.get("ksvc")),
            revisions=_items(first.get("revisions")), deployments=_items(first.get("deployments")),
            services=_items(first.get("services")),
            virtual_services=_items(first.get("vs_knative")) + _items(first.get("vs_kserve")),
            events=_items(first.get("events_isvc")),
            knative_installed=first.get("ksvc") is not MISSING,
            istio_installed=first.get("vs_knative") is not MISSING,
        )
        budget = self.settings.max_requests - ledger.requests
        needs = wanted(self.reads, snap)
        startup = self._startup_logs_of_ready_servers(snap) if Need.SERVER_STARTUP_LOGS in needs else []
        remembered = tuple(x for x in startup if isinstance(x, LogExcerpt))
        second_reads = (self._second_wave(snap, _items(first.get("controller_pods")), needs)
                        + [x for x in startup if isinstance(x, Read)])[: max(budget, 0)]
        second = self._run(second_reads, ledger, deadline, errors, truncated)
        logs = remembered + tuple(v for k, v in second.items() if k.startswith("log:") and isinstance(v, LogExcerpt))
        controller_logs = tuple(v for k, v in second.items() if k.startswith("controller_log:")
                                and isinstance(v, LogExcerpt))
        truncated += [f"{'previous ' if lg.previous else ''}log of {lg.container} in pod {lg.pod}: only its "
                      f"{'start' if lg.head else 'tail'} was read" for lg in (*logs, *controller_logs) if lg.truncated]
        events = {dig(e, "metadata", "uid") or id(e): e for e in snap.events}
        for k, v in second.items():
            if k.startswith("events:"):
                for e in _items(v):
                    events[dig(e, "metadata", "uid") or id(e)] = e
        runtimes = None
        if "runtimes" in second or "cluster_runtimes" in second:
            runtimes = _items(second.get("runtimes")) + _items(second.get("cluster_runtimes"))
        return dataclasses.replace(
            snap,
            cache_age_seconds=self.cache.age_seconds(CACHED) if self.cache is not None else None,
            events=tuple(events.values()),
            logs=logs,
            controller_logs=controller_logs,
            knative_ingresses=_items(second.get("kingresses")),
            ingresses=_items(second.get("ingresses")),
            runtimes=runtimes,
            authorization_policies=_items(second.get("authz")) if "authz" in second else None,
            resource_quotas=_items(second.get("quotas")) if "quotas" in second else None,
            limit_ranges=_items(second.get("limit_ranges")) if "limit_ranges" in second else None,
            errors=tuple(errors),
            truncated=tuple(truncated),
            requests=ledger.requests,
            bytes_read=ledger.bytes_read,
        )

    def _run(self, reads: list[Read], ledger: Ledger, deadline: Deadline, errors: list[ReadError],
             truncated: list[str] | None = None) -> dict[str, Any]:
        if not reads:
            return {}
        futures: dict[Future[Any], Read] = {self.pool.submit(r.call, ledger, deadline): r for r in reads}
        done, pending = wait(futures, timeout=max(deadline.remaining(), 0))
        out: dict[str, Any] = {}
        # in the order the reads were asked for, not the order they finished: set order never reaches the answer
        for f in (f for f in futures if f in pending):
            r = futures[f]
            f.cancel()
            errors.append(ReadError(r.what, r.resource, 0, "Timeout",
                                    f"no answer within the diagnosis deadline of {self.settings.deadline_seconds:g}s"))
        for f in (f for f in futures if f in done):
            r = futures[f]
            try:
                out[r.key] = f.result()
                page = out[r.key]
                if truncated is not None and isinstance(page, dict) and dig(page, "metadata", "continue"):
                    truncated.append(f"{r.what}: only the first {len(as_list(page.get('items')))} were read")
            except kerr.NotFound as e:
                if r.optional_api and "could not find the requested resource" in e.message:
                    out[r.key] = MISSING
                elif r.resource == R.INFERENCE_SERVICES.label or r.key.startswith("log:"):
                    errors.append(ReadError(r.what, r.resource, e.code, e.reason, e.message))
                else:
                    out[r.key] = {"items": []}
            except kerr.KubeError as e:
                errors.append(ReadError(r.what, r.resource, e.code, e.reason, redact.text(e.message)))
        return out

    # -- what to read --------------------------------------------------------------------------

    def _list(self, key: str, what: str, r: R.Resource, namespace: str | None, labels: Labels | None = None,
              fields: Fields | None = None, limit: int | None = None, optional_api: str = "") -> Read:
        def call(ledger: Ledger, deadline: Deadline) -> Any:
            informer = self.cache.informer(r) if self.cache is not None else None
            if informer is not None:
                return {"items": informer.list(namespace, labels, fields)}
            return self.kube.list(r, namespace, labels=labels, fields=fields, limit=limit, ledger=ledger,
                                  deadline=deadline)
        return Read(key, what, r.label, call, optional_api)

    def _first_wave(self, ns: str, name: str) -> list[Read]:
        owned = Labels.of({OWNER: name})
        routes = tuple(f"{name}-{c}{suffix}" for c in isvclib.COMPONENTS for suffix in ("", "-default"))

        def get_isvc(ledger: Ledger, deadline: Deadline) -> Any:
            informer = self.cache.informer(R.INFERENCE_SERVICES) if self.cache is not None else None
            cached = informer.get(ns, name) if informer is not None else None
            if cached is not None:
                return cached
            # not in the cache (or no cache): ask, since it may have been created a moment ago
            return self.kube.get(R.INFERENCE_SERVICES, ns, name, ledger=ledger, deadline=deadline)

        return [
            Read("isvc", f"InferenceService {ns}/{name}", R.INFERENCE_SERVICES.label, get_isvc),
            self._list("pods", "pods of the InferenceService", R.PODS, ns, labels=owned),
            self._list("ksvc", "Knative services", R.KNATIVE_SERVICES, ns, labels=owned, optional_api="knative"),
            self._list("revisions", "Knative revisions", R.REVISIONS, ns, labels=owned, optional_api="knative"),
            self._list("deployments", "Deployments", R.DEPLOYMENTS, ns, labels=owned),
            self._list("services", "Services", R.SERVICES, ns, labels=owned),
            self._list("vs_knative", "Knative VirtualServices", R.VIRTUAL_SERVICES, ns,
                       labels=Labels.of(within={"serving.knative.dev/route": routes}), optional_api="istio"),
            self._list("vs_kserve", "the KServe VirtualService", R.VIRTUAL_SERVICES, ns,
                       fields=Fields.of(metadata__name=name), optional_api="istio"),
            self._list("events_isvc", "events of the InferenceService", R.EVENTS, ns,
                       fields=Fields.of(involvedObject__name=name, involvedObject__kind="InferenceService"),
                       limit=self.settings.event_limit),
            # read up front (one small list) so that the controller's log, when the ingress is not ready, can be
            # read in the second wave instead of a third
            self._list("controller_pods", "Knative networking controller pods", R.PODS,
                       self.settings.knative_namespace, labels=Labels.of(within={"app": NETWORKING_CONTROLLERS})),
        ]

    def _events(self, ns: str, kind: str, name: str) -> Read:
        return self._list(f"events:{kind}:{name}", f"events of {kind} {name}", R.EVENTS, ns,
                          fields=Fields.of(involvedObject__name=name, involvedObject__kind=kind),
                          limit=self.settings.event_limit)

    def _log(self, ns: str, pod: str, container: str, previous: bool) -> Read:
        s = self.settings

        def call(ledger: Ledger, deadline: Deadline) -> LogExcerpt:
            text = self.kube.log(ns, pod, container, previous=previous, tail_lines=s.log_tail_lines,
                                 limit_bytes=s.log_limit_bytes, ledger=ledger, deadline=deadline)
            truncated = len(text.encode()) >= s.log_limit_bytes or text.count("\n") >= s.log_tail_lines
            return LogExcerpt(ns, pod, container, previous, redact.text(text), truncated)

        what = f"{'previous ' if previous else ''}log of {container} in pod {pod}"
        return Read(f"log:{pod}:{container}:{previous}", what, "pods/log", call)

    def _startup_log(self, ns: str, pod: Obj, container: podlib.ContainerState) -> Read | LogExcerpt:
        """The start of a ready server's log: read once per container instance, then remembered."""
        s = self.settings
        key = (str(dig(pod, "metadata", "uid", default=name_of(pod))), container.name, str(container.restarts))
        if (known := self._startup_logs.get(key)) is not None:
            return known

        def call(ledger: Ledger, deadline: Deadline) -> LogExcerpt:
            text = self.kube.log(ns, name_of(pod), container.name, limit_bytes=s.startup_log_limit_bytes,
                                 ledger=ledger, deadline=deadline)
            excerpt = LogExcerpt(ns, name_of(pod), container.name, False, redact.text(text),
                                 len(text.encode()) >= s.startup_log_limit_bytes, head=True)
            if len(self._startup_logs) >= s.startup_log_memo_entries:
                self._startup_logs.clear()
            self._startup_logs[key] = excerpt
            return excerpt

        return Read(f"log:{name_of(pod)}:{container.name}:False", f"start of the log of {container.name} in pod "
                    f"{name_of(pod)}", "pods/log", call)

    def _startup_logs_of_ready_servers(self, s: Snapshot) -> list[Read | LogExcerpt]:
        out: list[Read | LogExcerpt] = []
        for component in isvclib.components(s.target):
            if not isvclib.storage_uri(s.target, component) or topology.failing_current_pods(s, component):
                continue  # no single model to find (multi-model serving), or the failing pods tell already
            ready = sorted((p for p in topology.current_pods(s, component) if podlib.is_ready(p)), key=name_of)
            for pod in ready[:1]:
                server = next((c for c in podlib.containers(pod) if not c.init and c.ready
                               and podlib.is_serving_container(c.name)), None)
                if server is not None:
                    out.append(self._startup_log(s.namespace, pod, server))
        return out

    def _second_wave(self, s: Snapshot, controller_pods: tuple[Obj, ...], needs: frozenset[Need]) -> list[Read]:
        """The reads the needs call for, in order of usefulness; the caller keeps as many as the budget allows."""
        ns = s.namespace
        logs: list[Read] = []
        pod_events: list[Read] = []
        revision_events: list[Read] = []
        for component in isvclib.components(s.target) or ["predictor"]:
            latest = topology.latest_revision(s, component)
            if latest is not None and not cond.is_true(latest, "Ready") and Need.REVISION_EVENTS in needs:
                revision_events.append(self._events(ns, "Revision", name_of(latest)))
            failing = topology.failing_current_pods(s, component)
            if Need.POD_EVENTS in needs:
                pod_events += [self._events(ns, "Pod", name_of(pod)) for pod in failing[:2]]
            if failing and Need.FAILING_POD_LOGS in needs:
                logs.extend(self._logs_for(ns, failing[0]))
        reads: list[Read] = []
        reads += [r for r in logs if ":storage-initializer:" in r.key]
        reads += [r for r in logs if ":storage-initializer:" not in r.key and r.key.endswith(":True")]
        reads += pod_events[:1] + revision_events[:1]
        if Need.NETWORKING_CONTROLLER_LOGS in needs:
            reads += self._controller_log(s, controller_pods)
        if Need.SERVING_RUNTIMES in needs:
            reads.append(self._list("runtimes", "ServingRuntimes", R.SERVING_RUNTIMES, ns, optional_api="kserve"))
            reads.append(self._list("cluster_runtimes", "ClusterServingRuntimes", R.CLUSTER_SERVING_RUNTIMES, None,
                                    optional_api="kserve"))
        reads += [r for r in logs if r not in reads]
        reads += pod_events[1:] + revision_events[1:]
        if Need.KNATIVE_INGRESSES in needs:
            reads.append(self._list("kingresses", "Knative ingresses", R.KNATIVE_INGRESSES, ns,
                                    labels=Labels.of(within={"serving.knative.dev/route": _route_names(s)}),
                                    optional_api="knative"))
            for k in s.knative_services[:1]:
                reads.append(self._list(f"events:Ingress:{name_of(k)}", f"events of Knative Ingress {name_of(k)}",
                                        R.EVENTS, ns,
                                        fields=Fields.of(involvedObject__name=name_of(k),
                                                         involvedObject__kind="Ingress"),
                                        limit=self.settings.event_limit))
        if Need.AUTHORIZATION_POLICIES in needs and s.istio_installed:
            reads.append(self._list("authz", "Istio AuthorizationPolicies", R.AUTHORIZATION_POLICIES, ns,
                                    optional_api="istio"))
        if Need.INGRESS in needs:
            reads.append(self._list("ingresses", "the Ingress", R.INGRESSES, ns,
                                    fields=Fields.of(metadata__name=s.name)))
        if Need.REPLICASET_FAILED_CREATE_EVENTS in needs:
            # scoped by kind and reason, not every event of the namespace
            reads.append(self._list("events:ReplicaSet:FailedCreate", "FailedCreate events of ReplicaSets", R.EVENTS,
                                    ns, fields=Fields.of(involvedObject__kind="ReplicaSet", reason="FailedCreate"),
                                    limit=self.settings.event_limit))
        if Need.RESOURCE_QUOTAS in needs:
            reads.append(self._list("quotas", "ResourceQuotas", R.RESOURCE_QUOTAS, ns))
            reads.append(self._list("limit_ranges", "LimitRanges", R.LIMIT_RANGES, ns))
        return reads

    def _logs_for(self, ns: str, pod: Obj) -> list[Read]:
        """The logs that explain a failing pod: a failing init container, a crashing container (its previous
        instance when it waits to restart), else the running model container of a pod that is not ready (on
        Knative the model container reports ready while queue-proxy, which probes it, does not)."""
        out = []
        crashing = False
        for c in podlib.containers(pod):
            if c.name in podlib.SIDECARS:
                continue
            previous = bool(c.last_terminated) and not c.running and not c.terminated
            failed_before = (c.last_terminated.get("exitCode") or 0) != 0
            if c.init and c.ready:
                continue
            if c.crash_looping or c.exited_with_error or (failed_before and not c.ready) or (
                    not c.init and c.oom_killed() and not c.ready):
                out.append(self._log(ns, c.pod, c.name, previous))
                crashing = True
        if not crashing and not podlib.is_ready(pod):
            model = next((c for c in podlib.containers(pod) if not c.init and c.running
                          and podlib.is_serving_container(c.name)), None)
            if model is not None:
                out.append(self._log(ns, model.pod, model.name, False))
        return out

    def _controller_log(self, s: Snapshot, controller_pods: tuple[Obj, ...]) -> list[Read]:
        pods = sorted((p for p in controller_pods if podlib.phase(p) == "Running"), key=name_of)
        hosts = _hosts(s)
        st = self.settings

        def read(pod: Obj) -> Read:
            container = str(dig(pod, "spec", "containers", 0, "name", default="controller"))

            def call(ledger: Ledger, deadline: Deadline) -> LogExcerpt:
                text = self.kube.log(st.knative_namespace, name_of(pod), container,
                                     tail_lines=st.controller_log_tail_lines,
                                     limit_bytes=st.controller_log_limit_bytes, ledger=ledger, deadline=deadline)
                kept = [line for line in text.splitlines() if any(h in line for h in hosts)]
                truncated = len(kept) > st.controller_log_keep_lines
                return LogExcerpt(st.knative_namespace, name_of(pod), container, False,
                                  redact.text("\n".join(kept[-st.controller_log_keep_lines:])), truncated,
                                  filter=" | ".join(hosts))

            return Read(f"controller_log:{name_of(pod)}", f"log of {name_of(pod)} in {st.knative_namespace}",
                        "pods/log", call)

        return [read(p) for p in pods[:st.controller_log_max_pods]]


def _items(value: Any) -> tuple[Obj, ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(redact.obj(i) for i in as_list(value.get("items")) if isinstance(i, dict))


def _route_names(s: Snapshot) -> tuple[str, ...]:
    return tuple(name_of(k) for k in s.knative_services) or (f"{s.name}-predictor",)


def _hosts(s: Snapshot) -> list[str]:
    """What a controller log line about this service contains: its hosts and its reconcile key."""
    out = []
    for k in s.knative_services:
        out += [f"{name_of(k)}.{s.namespace}", f'"{s.namespace}/{name_of(k)}"']
    return out or [f"{s.name}-predictor.{s.namespace}"]

