"""The one door to the API server: the official `kubernetes` client, used over HTTP, answering dicts.

Objects come back as plain JSON dicts (`_preload_content=False`): the diagnosers read fields that the
client's generated models do not know (KServe, Knative and Istio status), and decoding into models
costs time for nothing. Every call has a timeout bounded by the caller's deadline; reads that meet
429 or 5xx are retried a bounded number of times with backoff, honouring `Retry-After`; writes are
never retried here, since a retried write is a decision for the caller. Every request is counted in
the caller's ledger and reported to the metrics hook.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from . import errors
from .resources import Resource
from .selectors import Fields, Labels

RequestHook = Callable[[str, str, int, float], None]  # verb, resource label, HTTP code (0: none), seconds


@dataclass
class Deadline:
    """An absolute time by which a whole operation must be done."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


@dataclass
class Ledger:
    """What one operation cost: API requests made and bytes read, by verb and resource."""

    requests: int = 0
    bytes_read: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, verb: str, resource: str, code: int, size: int, seconds: float) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_read += size
            self.calls.append({"verb": verb, "resource": resource, "code": code, "bytes": size,
                               "ms": round(seconds * 1000, 1)})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3           # one try and two retries
    base_delay: float = 0.1     # doubled on each retry
    max_delay: float = 2.0      # a Retry-After above this is capped; the deadline caps it further


class Kube:
    """Typed reads and writes over the official client; one instance per process, shared by threads."""

    def __init__(self, api: k8s.ApiClient, *, timeout: float = 5.0, retry: RetryPolicy | None = None,
                 on_request: RequestHook | None = None) -> None:
        self.api = api
        self.core = k8s.CoreV1Api(api)
        self.custom = k8s.CustomObjectsApi(api)
        self.authn = k8s.AuthenticationV1Api(api)
        self.authz = k8s.AuthorizationV1Api(api)
        self.version_api = k8s.VersionApi(api)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.on_request = on_request

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, verb: str, resource: str, fn: Callable[..., Any], *args: Any, ledger: Ledger | None,
              deadline: Deadline | None, retry: bool, raw: bool = False, **kwargs: Any) -> Any:
        attempts = self.retry.attempts if retry else 1
        delay = self.retry.base_delay
        for attempt in range(1, attempts + 1):
            timeout = self.timeout if deadline is None else min(self.timeout, deadline.remaining())
            if timeout <= 0:
                raise errors.KubeUnreachable(f"deadline exceeded before {verb} {resource}", reason="Timeout")
            started = time.monotonic()
            code, size = 0, 0
            try:
                resp = fn(*args, _preload_content=False, _request_timeout=timeout, **kwargs)
                data = resp.data
                code, size = resp.status, len(data)
                return data.decode("utf-8", "replace") if raw else json.loads(data or b"null")
            except ApiException as e:
                code = e.status or 0
                size = len(e.body or b"") if isinstance(e.body, bytes | str) else 0
                err: errors.KubeError = errors.from_response(code, e.body, e.headers)
            except (urllib3.exceptions.HTTPError, OSError) as e:
                err = errors.KubeUnreachable(f"{type(e).__name__}: {_short(e)}",
                                             reason="Timeout" if "timed out" in str(e).lower() else "Unreachable")
            finally:
                seconds = time.monotonic() - started
                if ledger is not None:
                    ledger.record(verb, resource, code, size, seconds)
                if self.on_request is not None:
                    self.on_request(verb, resource, code, seconds)
            if attempt == attempts or not isinstance(err, errors.RETRYABLE):
                raise err
            wait = min(err.retry_after if err.retry_after is not None else delay, self.retry.max_delay)
            if deadline is not None and wait >= deadline.remaining():
                raise err
            time.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")

    # -- reads ---------------------------------------------------------------------------------

    def get(self, r: Resource, namespace: str, name: str, *, ledger: Ledger | None = None,
            deadline: Deadline | None = None) -> dict[str, Any]:
        opts = {"ledger": ledger, "deadline": deadline, "retry": True}
        if r.core:
            if r.namespaced:
                return self._call("get", r.label, getattr(self.core, f"read_namespaced_{r.core}"), name, namespace,
                                  **opts)
            return self._call("get", r.label, getattr(self.core, f"read_{r.core}"), name, **opts)
        if r.namespaced:
            return self._call("get", r.label, self.custom.get_namespaced_custom_object, r.group, r.version,
                              namespace, r.plural, name, **opts)
        return self._call("get", r.label, self.custom.get_cluster_custom_object, r.group, r.version, r.plural,
                          name, **opts)

    def list(self, r: Resource, namespace: str | None, *, labels: Labels | str | None = None,
             fields: Fields | str | None = None,
             limit: int | None = None, cont: str | None = None, ledger: Ledger | None = None,
             deadline: Deadline | None = None) -> dict[str, Any]:
        """One page of a list (the API server's own limit, when given); namespace None lists across all."""
        query: dict[str, Any] = {}
        if labels:
            query["label_selector"] = labels if isinstance(labels, str) else labels.query()
        if fields:
            query["field_selector"] = fields if isinstance(fields, str) else fields.query()
        if limit:
            query["limit"] = limit
        if cont:
            query["_continue"] = cont
        opts: dict[str, Any] = {"ledger": ledger, "deadline": deadline, "retry": True, **query}
        if r.core:
            if r.namespaced and namespace is not None:
                return self._call("list", r.label, getattr(self.core, f"list_namespaced_{r.core}"), namespace, **opts)
            name = f"list_{r.core}_for_all_namespaces" if r.namespaced else f"list_{r.core}"
            return self._call("list", r.label, getattr(self.core, name), **opts)
        if r.namespaced and namespace is not None:
            return self._call("list", r.label, self.custom.list_namespaced_custom_object, r.group, r.version,
                              namespace, r.plural, **opts)
        return self._call("list", r.label, self.custom.list_cluster_custom_object, r.group, r.version, r.plural,
                          **opts)

    def log(self, namespace: str, pod: str, container: str, *, previous: bool = False, tail_lines: int | None = None,
            limit_bytes: int | None = None, ledger: Ledger | None = None, deadline: Deadline | None = None) -> str:
        opts: dict[str, Any] = {"container": container, "previous": previous}
        if tail_lines is not None:
            opts["tail_lines"] = tail_lines
        if limit_bytes is not None:
            opts["limit_bytes"] = limit_bytes
        return self._call("get", "pods/log", self.core.read_namespaced_pod_log, pod, namespace, ledger=ledger,
                          deadline=deadline, retry=True, raw=True, **opts)

    def watch(self, r: Resource, resource_version: str, *, timeout_seconds: int = 300,
              read_timeout: float = 330) -> Iterator[dict[str, Any]]:
        """Watch events of one resource across all namespaces, from resource_version, as decoded dicts.

        The stream ends when the server closes it (timeout_seconds) or a read stalls past read_timeout;
        the caller resumes from the last resourceVersion it saw, or relists after a 410 `ERROR` event.
        """
        opts: dict[str, Any] = {"watch": True, "allow_watch_bookmarks": True, "resource_version": resource_version,
                                "timeout_seconds": timeout_seconds, "_preload_content": False,
                                "_request_timeout": (self.timeout, read_timeout)}
        if r.core:
            fn = getattr(self.core, f"list_{r.core}_for_all_namespaces" if r.namespaced else f"list_{r.core}")
            args: tuple[Any, ...] = ()
        else:
            fn, args = self.custom.list_cluster_custom_object, (r.group, r.version, r.plural)
        started = time.monotonic()
        try:
            resp = fn(*args, **opts)
        except ApiException as e:
            raise errors.from_response(e.status or 0, e.body, e.headers) from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise errors.KubeUnreachable(f"{type(e).__name__}: {_short(e)}") from e
        finally:
            if self.on_request is not None:
                self.on_request("watch", r.label, 200, time.monotonic() - started)
        buffer = b""
        try:
            for chunk in resp.stream(64 * 1024):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (urllib3.exceptions.HTTPError, OSError):
            return  # a stalled or broken stream: the caller resumes
        finally:
            resp.release_conn()

    def version(self, *, deadline: Deadline | None = None) -> dict[str, Any]:
        return self._call("get", "version", self.version_api.get_code, ledger=None, deadline=deadline, retry=False)

    # -- writes --------------------------------------------------------------------------------

    def patch(self, r: Resource, namespace: str, name: str, ops: Sequence[Mapping[str, Any]], *,
              dry_run: bool, ledger: Ledger | None = None, deadline: Deadline | None = None) -> dict[str, Any]:
        """An RFC 6902 JSON patch (the content type is forced: the client's default for custom objects is merge)."""
        opts: dict[str, Any] = {"ledger": ledger, "deadline": deadline, "retry": False,
                                "_content_type": "application/json-patch+json"}
        if dry_run:
            opts["dry_run"] = "All"
        body = [dict(op) for op in ops]
        if r.core:
            return self._call("patch", r.label, getattr(self.core, f"patch_namespaced_{r.core}"), name, namespace,
                              body, **opts)
        if r.namespaced:
            return self._call("patch", r.label, self.custom.patch_namespaced_custom_object, r.group, r.version,
                              namespace, r.plural, name, body, **opts)
        return self._call("patch", r.label, self.custom.patch_cluster_custom_object, r.group, r.version, r.plural,
                          name, body, **opts)

    def create(self, r: Resource, namespace: str, body: Mapping[str, Any], *, dry_run: bool = False,
               ledger: Ledger | None = None) -> dict[str, Any]:
        opts: dict[str, Any] = {"ledger": ledger, "deadline": None, "retry": False}
        if dry_run:
            opts["dry_run"] = "All"
        if r.core:
            return self._call("create", r.label, getattr(self.core, f"create_namespaced_{r.core}"), namespace,
                              dict(body), **opts)
        return self._call("create", r.label, self.custom.create_namespaced_custom_object, r.group, r.version,
                          namespace, r.plural, dict(body), **opts)

    # -- reviews -------------------------------------------------------------------------------

    def token_review(self, token: str, *, ledger: Ledger | None = None) -> dict[str, Any]:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
        return self._call("create", "tokenreviews.authentication.k8s.io", self.authn.create_token_review, body,
                          ledger=ledger, deadline=None, retry=True)

    def access_review(self, user: str, groups: Sequence[str], attributes: Mapping[str, str], *,
                      ledger: Ledger | None = None) -> dict[str, Any]:
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                "spec": {"user": user, "groups": list(groups), "resourceAttributes": dict(attributes)}}
        return self._call("create", "subjectaccessreviews.authorization.k8s.io",
                          self.authz.create_subject_access_review, body, ledger=ledger, deadline=None, retry=True)


def _short(e: BaseException) -> str:
    text = str(e)
    return text if len(text) <= 200 else text[:200] + "..."


# How often the kubeconfig loader's credential hook may run. The client calls it before every request,
# and for a kubeconfig it re-applies the whole cluster entry (re-reading every proxy variable of the
# environment); credentials it refreshes count as expired five minutes before they are, so once every
# few seconds loses nothing.
CREDENTIAL_REFRESH_SECONDS = 5.0


def _at_most_every(seconds: float, hook: Callable[[Any], None]) -> Callable[[Any], None]:
    last = float("-inf")

    def throttled(configuration: Any) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= seconds:
            last = now
            hook(configuration)
            configuration.refresh_api_key_hook = throttled  # the loader's hook re-installs itself

    return throttled


def api_client_from(kubeconfig: str | None, context: str | None = None, pool_size: int = 32) -> k8s.ApiClient:
    """An ApiClient from a kubeconfig file, else the in-cluster service account."""
    from kubernetes import config

    cfg = k8s.Configuration()
    if kubeconfig:
        config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
    else:
        try:
            config.load_incluster_config(client_configuration=cfg)
        except config.ConfigException:
            config.load_kube_config(context=context, client_configuration=cfg)
    if cfg.refresh_api_key_hook is not None:
        cfg.refresh_api_key_hook = _at_most_every(CREDENTIAL_REFRESH_SECONDS, cfg.refresh_api_key_hook)
    cfg.connection_pool_maxsize = pool_size
    return k8s.ApiClient(cfg)
