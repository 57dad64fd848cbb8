"""A scenario bundle as the snapshot the service would gather from it, in-process: no server, no HTTP.

Popeye's LoadDB for kserve-doctor. `OfflineKube` answers the reads the Gatherer makes (get, list with
label and field selectors and a limit, pod logs with previous/tailLines/limitBytes) from a `Sandbox`
by the same code that serves them over HTTP: each call is resolved into the request the official
client would send (`requestinfo.resolve`), goes through the bundle's fault rules and RBAC
(`Sandbox.apply_faults`, `Sandbox.admit`), and is answered by `Sandbox.get_object`, `list_objects` or
`pod_log` from the sandbox's store and selector code. The answer is encoded as the server encodes it
and decoded as the client does, so objects, sizes and errors are the wire's; the request itself goes
through `Kube._call`, so the ledger, the retries on 429/5xx and the deadline are the real client's.
`snapshot()` then runs the real Gatherer with `service.doctor.READS`, and `diagnosis()` the real
Doctor: only the transport is left out.

What is not modelled: TLS, sockets and HTTP parsing, and time on the wire (a fault's `delay_ms` is
slept, and one longer than the request's timeout ends it as the client's read timeout would). This
is the only sandbox module that imports the service: it is a tool for tests and for looking at a
bundle, never part of the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes.client.exceptions import ApiException

from core.kube import Deadline, Kube, Ledger, RetryPolicy
from core.kube.client import RequestHook
from core.kube.resources import Resource
from core.kube.selectors import Fields, Labels
from service.config import Settings
from service.doctor import Doctor, NotFoundAnswer
from service.evidence.snapshot import Snapshot

from . import status as st
from .auth import User
from .bundle import load
from .requestinfo import resolve
from .server import Sandbox, _dumps

# Who the offline reads are made as: the admin of the kubeconfig the sandbox writes (a member of system:masters).
ADMIN = User("sandbox-admin", ("system:masters", "system:authenticated"), uid="sandbox-admin")


@dataclass(frozen=True)
class _Answer:
    """What `Kube._call` reads of the official client's raw response."""

    status: int
    data: bytes


@dataclass(eq=False)
class OfflineKube(Kube):
    """The reads of `core.kube.Kube` the Gatherer uses, answered in-process by a Sandbox."""

    sandbox: Sandbox
    timeout: float = 5.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    on_request: RequestHook | None = None
    user: User = ADMIN

    # -- reads ---------------------------------------------------------------------------------

    def get(self, r: Resource, namespace: str, name: str, *, ledger: Ledger | None = None,
            deadline: Deadline | None = None) -> dict[str, Any]:
        path = _path(r, namespace if r.namespaced else None, name)
        return self._call("get", r.label, self._serve, path, {}, ledger=ledger, deadline=deadline, retry=True)

    def list(self, r: Resource, namespace: str | None, *, labels: Labels | str | None = None,
             fields: Fields | str | None = None, limit: int | None = None, cont: str | None = None,
             ledger: Ledger | None = None, deadline: Deadline | None = None) -> dict[str, Any]:
        query: dict[str, str] = {}
        if labels:
            query["labelSelector"] = labels if isinstance(labels, str) else labels.query()
        if fields:
            query["fieldSelector"] = fields if isinstance(fields, str) else fields.query()
        if limit:
            query["limit"] = str(limit)
        if cont:
            query["continue"] = cont
        path = _path(r, namespace if r.namespaced else None)
        return self._call("list", r.label, self._serve, path, query, ledger=ledger, deadline=deadline, retry=True)

    def log(self, namespace: str, pod: str, container: str, *, previous: bool = False, tail_lines: int | None = None,
            limit_bytes: int | None = None, ledger: Ledger | None = None, deadline: Deadline | None = None) -> str:
        # the query the official client sends (booleans as "true"/"false", numbers as decimals)
        query = {"container": container, "previous": "true" if previous else "false"}
        if tail_lines is not None:
            query["tailLines"] = str(tail_lines)
        if limit_bytes is not None:
            query["limitBytes"] = str(limit_bytes)
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        return self._call("get", "pods/log", self._serve, path, query, ledger=ledger, deadline=deadline, retry=True,
                          raw=True)

    def __getattr__(self, name: str) -> Any:
        # Kube's writes, watches and reviews need the official client, which an offline sandbox does not have
        raise AttributeError(f"OfflineKube answers get, list and log only, not {name}")

    # -- the transport, in-process ---------------------------------------------------------------

    def _serve(self, path: str, query: dict[str, str], *, _preload_content: bool, _request_timeout: float,
               ) -> _Answer:
        """One GET answered by the sandbox's own stages, or raised as the client raises an error answer."""
        info = resolve("GET", path, False)
        started = time.monotonic()
        try:
            self.sandbox.apply_faults(info, self.user)
            t = self.sandbox.admit(info, self.user)
            if info.subresource == "log":
                data = self.sandbox.pod_log(info, t, query.get("container", ""),
                                            query.get("previous") in ("true", "1"), query.get("tailLines"),
                                            query.get("limitBytes"))
            elif info.verb == "list":
                data = _dumps(self.sandbox.list_objects(info, t, query.get("labelSelector", ""),
                                                        query.get("fieldSelector", ""), query.get("limit", ""),
                                                        query.get("continue", "")))
            else:
                data = _dumps(self.sandbox.get_object(info, t))
        except st.StatusError as e:
            _timed_out(started, _request_timeout, path)
            raise _api_exception(e) from None
        _timed_out(started, _request_timeout, path)
        return _Answer(200, data)


def _path(r: Resource, namespace: str | None, name: str = "") -> str:
    """The path the official client requests for a resource (the group's prefix, the namespace, the name)."""
    prefix = f"/apis/{r.group}/{r.version}" if r.group else f"/api/{r.version}"
    where = f"/namespaces/{namespace}" if namespace is not None else ""
    return f"{prefix}{where}/{r.plural}" + (f"/{name}" if name else "")


def _timed_out(started: float, timeout: float, path: str) -> None:
    """A fault's delay longer than the request's timeout: the client would have given up (a read timeout)."""
    if time.monotonic() - started > timeout:
        raise urllib3.exceptions.ReadTimeoutError(None, path, f"Read timed out. (read timeout={timeout})")


def _api_exception(e: st.StatusError) -> ApiException:
    """The official client's exception for an error answer: status, the body as text, the headers."""
    exc = ApiException(status=e.code, reason=e.reason)
    exc.body = _dumps(e.body()).decode()
    exc.headers = {"Content-Type": "application/json"}
    if e.retry_after is not None:
        exc.headers["Retry-After"] = str(e.retry_after)
    return exc


# -- a bundle, offline -------------------------------------------------------------------------


def target(bundle_dir: Path) -> tuple[str, str]:
    """The namespace and name expect.yaml diagnoses."""
    t = yaml.safe_load((Path(bundle_dir) / "expect.yaml").read_text())["target"]
    return str(t["namespace"]), str(t["name"])


def sandbox(bundle_dir: Path) -> Sandbox:
    """The in-memory cluster of one bundle (its faults and users included), as `python -m sandbox` builds it."""
    return Sandbox([load(Path(bundle_dir))])


def doctor(sb: Sandbox, settings: Settings | None = None) -> Doctor:
    """The service's Doctor (its Gatherer with READS and GatherSettings from Settings) reading from the sandbox.

    The caller closes it. The default settings are the service's defaults, not the environment's."""
    s = settings or Settings()
    return Doctor(s, kube=OfflineKube(sb, timeout=s.request_timeout_seconds))


def _with_doctor(bundle_dir: Path | Sandbox, fn: Callable[[Doctor], Any]) -> Any:
    d = doctor(bundle_dir if isinstance(bundle_dir, Sandbox) else sandbox(bundle_dir))
    try:
        return fn(d)
    finally:
        d.close()


def gather(sb: Sandbox, namespace: str, name: str) -> Snapshot:
    """The snapshot the service would gather from this sandbox (raises IsvcNotFound / ApiUnavailable as it does)."""
    return _with_doctor(sb, lambda d: d.gatherer.gather(namespace, name))


def snapshot(bundle_dir: Path, namespace: str | None = None, name: str | None = None) -> Snapshot:
    """The snapshot of a bundle's target (expect.yaml's unless given)."""
    ns, n = (namespace, name) if namespace and name else target(bundle_dir)
    return gather(sandbox(bundle_dir), ns, n)


def diagnosis(bundle_dir: Path, namespace: str | None = None, name: str | None = None) -> dict[str, Any]:
    """The body GET /diagnose/<ns>/<name> answers for a bundle's target: the report (HTTP 200), or the
    ISVC_NOT_FOUND body (HTTP 404). Before the API's schema dump, which only checks the shape."""
    ns, n = (namespace, name) if namespace and name else target(bundle_dir)

    def diagnose(d: Doctor) -> dict[str, Any]:
        answer = d.diagnose(ns, n)
        return answer.body if isinstance(answer, NotFoundAnswer) else answer

    return _with_doctor(bundle_dir, diagnose)


def status_of(body: dict[str, Any]) -> int:
    """The HTTP status GET /diagnose answers with this body."""
    return 404 if (body.get("error") or {}).get("code") == "ISVC_NOT_FOUND" else 200


__all__ = ["OfflineKube", "diagnosis", "doctor", "gather", "sandbox", "snapshot", "status_of", "target"]
