"""The sandbox API server: the Kubernetes REST protocol over scenario bundles, as a WSGI app.

Requests go through the stages of the real server's handler chain, in its order: authentication
(bearer token), the bundle's fault rules (standing in for a misbehaving server or network),
authorization (RBAC), then the REST handler: discovery, get/list/watch with selectors and paging,
pod logs, create/update/patch/delete with dry run, validation and optimistic concurrency, and the
token and access reviews. Every answer is JSON with the real server's shapes; every error is a
`Status`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

from . import status as st
from .auth import Attributes, Authenticator, Authorizer, User, forbidden_reason
from .bundle import Bundle, LogKey
from .faults import Faults
from .kinds import Registry, ResourceType, split_api_version
from .patching import apply_patch
from .requestinfo import RequestInfo, resolve
from .selectors import matcher
from .store import Store, now_rfc3339
from .tables import table
from .validation import validate

log = logging.getLogger("sandbox")

SERVER_VERSION = {
    "major": "1", "minor": "31", "gitVersion": "v1.31.4", "gitCommit": "sandbox", "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22.10", "compiler": "gc", "platform": "linux/amd64",
}
# Requests remembered for /_sandbox/requests (tests and benchmarks count API calls with it).
REQUEST_LOG = 100_000
WATCH_BOOKMARK_SECONDS = 1.0


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _json(obj: Any, code: int = 200) -> Response:
    return Response(_dumps(obj), status=code, content_type="application/json")


def _status_response(err: st.StatusError) -> Response:
    resp = _json(err.body(), err.code)
    if err.retry_after is not None:
        resp.headers["Retry-After"] = str(err.retry_after)
    return resp


def _with_version(obj: dict[str, Any], t: ResourceType, version: str) -> dict[str, Any]:
    """The object as served under the requested version (stored objects are never mutated)."""
    api_version = t.api_version(version)
    if obj.get("apiVersion") == api_version and obj.get("kind") == t.kind:
        return obj
    return {**obj, "apiVersion": api_version, "kind": t.kind}


class Sandbox:
    """One in-memory cluster built from bundles, and the WSGI app that serves it."""

    def __init__(self, bundles: Iterable[Bundle], admin_token: str | None = None) -> None:
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.registry = Registry()
        self.store = Store()
        self.logs: dict[LogKey, bytes] = {}
        self.faults = Faults()
        self.loaded: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        users: list[dict[str, Any]] = []
        bundles_seen: list[Bundle] = []
        for b in bundles:
            bundles_seen.append(b)
            why = self._load(b)
            if why:
                self.skipped.append((b.name, why))
                log.warning("skipping bundle %s: %s", b.path, why)
                continue
            self.loaded.append(b.name)
            users.extend(b.users)
            for rule in b.faults:
                self.faults.add(rule)
        self._declare_apis(bundles_seen)
        self.authn = Authenticator(self.admin_token, users)
        self.authz = Authorizer(self.store, self.registry)
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG)
        self._requests_lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------------

    def _declare_apis(self, bundles: list[Bundle]) -> None:
        crds = [o for b in bundles for o in b.objects if o.get("kind") == "CustomResourceDefinition"]
        if not crds:
            return  # no CRDs given: serve every custom API the table knows, as a fully installed cluster
        keep = {(str((c.get("spec") or {}).get("group", "")), str(((c.get("spec") or {}).get("names") or {})
                                                                  .get("plural", ""))) for c in crds}
        keep |= {key for key, bucket in self.store.iter_all() if bucket}
        self.registry.keep_only_declared_custom(keep)

    def _load(self, b: Bundle) -> str | None:
        """Store a bundle's objects, or say why it collides with what is loaded already."""
        for obj in b.objects:
            if obj.get("apiVersion") == "apiextensions.k8s.io/v1" and obj.get("kind") == "CustomResourceDefinition":
                self.registry.add_crd(obj)
        typed = [(self.registry.for_object(o), o) for o in b.objects]
        for t, o in typed:
            meta = o["metadata"]
            existing = self.store.get(t, meta.get("namespace", ""), meta["name"])
            if existing is not None and not (t.kind == "Namespace" or _same_object(existing, o)):
                return f"{t.kind} {meta.get('namespace', '')}/{meta['name']} is already loaded from another bundle"
        ns_type = self.registry.by_kind("", "Namespace")
        assert ns_type is not None
        for t, o in typed:
            if t.kind == "Namespace" and self.store.get(t, "", o["metadata"]["name"]) is not None:
                continue
            obj = copy.deepcopy(o)
            obj["metadata"].pop("resourceVersion", None)
            self.store.load(t, obj)
            ns = o["metadata"].get("namespace")
            if t.namespaced and ns and self.store.get(ns_type, "", ns) is None:
                self.store.load(ns_type, {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                                          "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        for (ns, pod, container, previous), data in b.logs.items():
            self.logs[(ns, pod, container, previous)] = data
        return None

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        started = time.perf_counter()
        user_name = ""
        info: RequestInfo | None = None
        try:
            info = resolve(request.method, request.path, request.args.get("watch") in ("true", "1"))
            user = self._authenticate(request, info)
            user_name = user.name
            response = self._handle(request, info, user)
        except st.StatusError as e:
            response = _status_response(e)
        except Exception as e:  # a bug in the sandbox still answers as a server would
            log.exception("sandbox error on %s %s", request.method, request.full_path)
            response = _status_response(st.internal_error(f"sandbox: {type(e).__name__}: {e}"))
        self._record(request, info, user_name, response, started)
        return response(environ, start_response)

    def _record(self, request: Request, info: RequestInfo | None, user: str, response: Response,
                started: float) -> None:
        if request.path.startswith("/_sandbox"):
            return
        entry = {
            "method": request.method, "path": request.path, "query": request.query_string.decode(),
            "verb": info.verb if info else "", "resource": info.resource if info else "",
            "subresource": info.subresource if info else "", "namespace": info.namespace if info else "",
            "name": info.name if info else "", "user": user, "code": response.status_code,
            "bytes": response.content_length or 0, "ms": round((time.perf_counter() - started) * 1000, 3),
        }
        with self._requests_lock:
            self.requests.append(entry)

    def _authenticate(self, request: Request, info: RequestInfo) -> User:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        user = self.authn.authenticate(token)
        if user is not None:
            return user
        if not info.resource_request and request.path in ("/version", "/healthz", "/livez", "/readyz"):
            return User("system:anonymous", ("system:unauthenticated",))
        raise st.unauthorized()

    def _handle(self, request: Request, info: RequestInfo, user: User) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self._control(request, user)
        self.apply_faults(info, user)
        if not info.resource_request:
            self._authorize(info, user, None)
            return self._discovery(request.path)
        return self._resource(request, info, self.admit(info, user), user)

    # -- the stages every request goes through, and the reads, without HTTP --------------------
    # The WSGI handlers below are thin adapters over these; sandbox.offline calls them in-process.

    def apply_faults(self, info: RequestInfo, user: User) -> None:
        """The bundle's fault rules for this request: wait, and raise the Status of the first rule that fits."""
        effect = self.faults.effect(info.as_match(user.name))
        if effect is None:
            return
        if effect.delay_ms:
            time.sleep(effect.delay_ms / 1000)
        if effect.status:
            t = self.registry.lookup(info.group, info.version, info.resource) if info.resource_request else None
            gr = t.group_resource if t else info.resource
            if effect.status == 403:
                raise st.forbidden(gr, info.name, forbidden_reason(self._attributes(info, user)))
            err = st.for_code(int(effect.status), gr, info.name)
            if effect.retry_after is not None:
                err.retry_after = int(effect.retry_after)
                err.details["retryAfterSeconds"] = int(effect.retry_after)
            raise err

    def admit(self, info: RequestInfo, user: User) -> ResourceType:
        """Authorization, then routing: the resource type a resource request is about, or the real server's error."""
        t = self.registry.lookup(info.group, info.version, info.resource)
        # the real server's filter chain authorizes before routing: a caller may not learn which APIs exist
        self._authorize(info, user, t)
        if t is None or (info.subresource and info.subresource not in t.subresources):
            raise st.not_found_path()
        if info.verb not in t.verbs and not (info.subresource and info.verb in ("get", "update", "patch")):
            raise st.method_not_supported(t.group_resource, info.verb)
        if t.namespaced and not info.namespace and info.verb not in ("list", "watch"):
            raise st.not_found_path()
        if not t.namespaced and info.namespace and t.kind != "Namespace":
            raise st.not_found_path()
        return t

    def get_object(self, info: RequestInfo, t: ResourceType) -> dict[str, Any]:
        """The object a get names, as served under the requested version."""
        return _with_version(self._existing(info, t), t, info.version)

    def select(self, info: RequestInfo, t: ResourceType, label_selector: str = "", field_selector: str = "",
               ) -> tuple[int, list[dict[str, Any]]]:
        """The stored objects both selectors match (400 on a malformed one), with the store's resourceVersion."""
        match = matcher(label_selector, field_selector, t.fields, t.group_resource)
        involved = None
        for part in field_selector.split(","):
            k, _, v = part.partition("=")
            if k.strip() == "involvedObject.name" and not v.startswith("="):
                involved = v.strip()
        return self.store.list(t, info.namespace or None, match, involved_name=involved,
                               label_terms=match.label_terms())

    def list_objects(self, info: RequestInfo, t: ResourceType, label_selector: str = "", field_selector: str = "",
                     limit: str = "", cont: str = "") -> dict[str, Any]:
        """One page of a list, as the `<Kind>List` the server answers (limit and continue as the query gives them)."""
        rv, items = self.select(info, t, label_selector, field_selector)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if cont:
            try:
                token = json.loads(base64.urlsafe_b64decode(cont.encode()))
                after = (str(token["ns"]), str(token["name"]))
                rv = int(token["rv"])
            except (ValueError, KeyError, TypeError, binascii.Error) as e:
                raise st.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                     "(version meta.k8s.io/v1)") from e
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after]
            meta["resourceVersion"] = str(rv)
        if limit:
            try:
                n = int(limit)
            except ValueError as e:
                raise st.bad_request(f"invalid limit: {limit}") from e
            if n > 0 and len(items) > n:
                last = items[n - 1]["metadata"]
                meta["continue"] = base64.urlsafe_b64encode(_dumps(
                    {"rv": rv, "ns": last.get("namespace", ""), "name": last["name"]})).decode()
                if not label_selector and not field_selector:
                    meta["remainingItemCount"] = len(items) - n
                items = items[:n]
        return {"kind": f"{t.kind}List", "apiVersion": t.api_version(info.version), "metadata": meta,
                "items": [_with_version(o, t, info.version) for o in items]}

    def pod_log(self, info: RequestInfo, t: ResourceType, container: str = "", previous: bool = False,
                tail_lines: str | None = None, limit_bytes: str | None = None) -> bytes:
        """A container's log as the kubelet serves it through the API server (pods/log); the numbers as the query
        gives them."""
        pod = self._existing(info, t)
        spec = pod.get("spec") or {}
        containers = [c.get("name") for c in spec.get("containers") or []]
        inits = [c.get("name") for c in spec.get("initContainers") or []]
        if not container:
            if len(containers) == 1:
                container = containers[0]
            elif not containers:
                raise st.bad_request(f"a container name must be specified for pod {info.name}")
            else:
                msg = f"a container name must be specified for pod {info.name}, choose one of: [{' '.join(containers)}]"
                if inits:
                    msg += f" or one of the init containers: [{' '.join(inits)}]"
                raise st.bad_request(msg)
        if container not in containers and container not in inits:
            raise st.bad_request(f"container {container} is not valid for pod {info.name}")
        data = self.logs.get((info.namespace, info.name, container, previous))
        status = _container_status(pod, container)
        waiting_to_restart = bool((status.get("state") or {}).get("waiting")) and bool(
            (status.get("lastState") or {}).get("terminated"))
        if data is None and not previous and waiting_to_restart:
            # the kubelet serves the last terminated instance while the container waits to restart
            data = self.logs.get((info.namespace, info.name, container, True))
        if data is None:
            if previous:
                if int(status.get("restartCount") or 0) == 0 and not (status.get("lastState") or {}).get("terminated"):
                    raise st.bad_request(f'previous terminated container "{container}" in pod "{info.name}" not found')
                data = b""
            else:
                waiting = (status.get("state") or {}).get("waiting")
                if waiting and not status.get("lastState", {}).get("terminated"):
                    raise st.bad_request(f'container "{container}" in pod "{info.name}" is waiting to start: '
                                         f'{waiting.get("reason") or "ContainerCreating"}')
                data = b""
        if tail_lines:
            try:
                n = int(tail_lines)
            except ValueError as e:
                raise st.bad_request(f"invalid tailLines: {tail_lines}") from e
            lines = data.splitlines(keepends=True)
            data = b"".join(lines[-n:]) if n > 0 else b""
        if limit_bytes:
            try:
                data = data[: max(int(limit_bytes), 0)]
            except ValueError as e:
                raise st.bad_request(f"invalid limitBytes: {limit_bytes}") from e
        return data

    def _attributes(self, info: RequestInfo, user: User) -> Attributes:
        return Attributes(user, info.verb, info.group, info.resource, info.subresource, info.namespace,
                          info.name, info.path, info.resource_request)

    def _authorize(self, info: RequestInfo, user: User, t: ResourceType | None) -> None:
        a = self._attributes(info, user)
        if not self.authz.authorize(a).allowed:
            if not info.resource_request:
                raise st.StatusError(403, "Forbidden", f"forbidden: {forbidden_reason(a)}", {})
            gr = t.group_resource if t else (f"{info.resource}.{info.group}" if info.group else info.resource)
            raise st.forbidden(gr, info.name, forbidden_reason(a))

    # -- control endpoints for tests and benchmarks -------------------------------------------

    def _control(self, request: Request, user: User) -> Response:
        if "system:masters" not in user.groups:
            raise st.forbidden("", "", f'User "{user.name}" cannot use the sandbox control API')
        what = request.path[len("/_sandbox/"):]
        if what == "requests":
            with self._requests_lock:
                if request.method == "DELETE":
                    self.requests.clear()
                    return _json({"cleared": True})
                return _json({"items": list(self.requests)})
        if what == "faults":
            if request.method == "PUT":
                rules = json.loads(request.get_data() or b"[]")
                self.faults.clear()
                for r in rules:
                    self.faults.add(r)
            return _json({"rules": [{"match": r.match, "status": r.status, "delay_ms": r.delay_ms,
                                     "times": r.times, "used": r.used} for r in self.faults.rules]})
        if what == "stats":
            return _json({"objects": self.store.count(), "resourceVersion": str(self.store.resource_version),
                          "bundles": self.loaded, "skipped": self.skipped})
        raise st.not_found_path()

    # -- discovery -----------------------------------------------------------------------------

    def _discovery(self, path: str) -> Response:
        path = path.rstrip("/") or "/"
        if path == "/version":
            return _json(SERVER_VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return Response("ok", content_type="text/plain")
        if path == "/api":
            return _json({"kind": "APIVersions", "versions": ["v1"],
                          "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})
        groups = self.registry.groups()
        if path == "/apis":
            return _json({"kind": "APIGroupList", "apiVersion": "v1",
                          "groups": [self._group(g, vs) for g, vs in groups.items() if g]})
        parts = [p for p in path.split("/") if p]
        if parts[0] == "api" and len(parts) == 2 and parts[1] == "v1":
            return _json(self._resource_list("", "v1"))
        if parts[0] == "apis" and len(parts) == 2 and parts[1] in groups:
            return _json({"apiVersion": "v1", **self._group(parts[1], groups[parts[1]])})
        if parts[0] == "apis" and len(parts) == 3 and parts[2] in groups.get(parts[1], ()):
            return _json(self._resource_list(parts[1], parts[2]))
        raise st.not_found_path()

    @staticmethod
    def _group(name: str, versions: tuple[str, ...]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "name": name, "versions": gvs, "preferredVersion": gvs[0]}

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources: list[dict[str, Any]] = []
        for t in self.registry.in_group_version(group, version):
            entry: dict[str, Any] = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                                     "kind": t.kind, "verbs": list(t.verbs)}
            if t.short_names:
                entry["shortNames"] = list(t.short_names)
            if t.categories:
                entry["categories"] = list(t.categories)
            resources.append(entry)
            for sub in t.subresources:
                resources.append({"name": f"{t.plural}/{sub}", "singularName": "", "namespaced": t.namespaced,
                                  "kind": t.kind if sub != "log" else "Pod",
                                  "verbs": ["get"] if sub == "log" else ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group
                else version, "resources": resources}

    # -- resources -----------------------------------------------------------------------------

    def _resource(self, request: Request, info: RequestInfo, t: ResourceType, user: User) -> Response:
        dry_run = request.args.getlist("dryRun")
        if any(d != "All" for d in dry_run):
            raise st.bad_request(f"unsupported dry run mode: {dry_run}")
        if info.verb == "create" and t.group in ("authentication.k8s.io", "authorization.k8s.io"):
            return self._review(request, info, t, user)
        if info.verb == "get" and info.subresource == "log":
            return self._log(request, info, t)
        handler = {"get": self._get, "list": self._list, "watch": self._watch, "create": self._create,
                   "update": self._update, "patch": self._patch, "delete": self._delete,
                   "deletecollection": self._delete_collection}[info.verb]
        return handler(request, info, t)

    def _existing(self, info: RequestInfo, t: ResourceType) -> dict[str, Any]:
        obj = self.store.get(t, info.namespace, info.name)
        if obj is None:
            raise st.not_found(t.group_resource, info.name)
        return obj

    def _get(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        obj = self.get_object(info, t)
        if _wants_table(request):
            return _json(table(t, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                               request.args.get("includeObject", "Metadata")))
        return _json(obj)

    def _selected(self, request: Request, info: RequestInfo, t: ResourceType) -> tuple[int, list[dict[str, Any]]]:
        return self.select(info, t, request.args.get("labelSelector", ""), request.args.get("fieldSelector", ""))

    def _list(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        body = self.list_objects(info, t, request.args.get("labelSelector", ""), request.args.get("fieldSelector", ""),
                                 request.args.get("limit", ""), request.args.get("continue", ""))
        if _wants_table(request):
            return _json(table(t, body["items"], body["metadata"], request.args.get("includeObject", "Metadata")))
        return _json(body)

    def _watch(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        label_sel = request.args.get("labelSelector", "")
        field_sel = request.args.get("fieldSelector", "")
        match = matcher(label_sel, field_sel, t.fields, t.group_resource)
        rv_param = request.args.get("resourceVersion", "")
        bookmarks = request.args.get("allowWatchBookmarks") in ("true", "1")
        try:
            timeout = float(request.args.get("timeoutSeconds") or 1800)
        except ValueError as e:
            raise st.bad_request("invalid timeoutSeconds") from e
        namespace = info.namespace or None
        if info.name:
            field_sel = f"metadata.name={info.name}"
            match = matcher(label_sel, field_sel, t.fields, t.group_resource)

        def event(kind: str, obj: dict[str, Any]) -> bytes:
            return _dumps({"type": kind, "object": _with_version(obj, t, info.version)}) + b"\n"

        def stream() -> Iterator[bytes]:
            deadline = time.monotonic() + timeout
            if rv_param in ("", "0"):
                since, items = self.store.list(t, namespace, match, label_terms=match.label_terms())
                for o in items:
                    yield event("ADDED", o)
            else:
                try:
                    since = int(rv_param)
                except ValueError:
                    yield _dumps({"type": "ERROR", "object": st.bad_request(
                        f"invalid resource version: {rv_param}").body()}) + b"\n"
                    return
            last_bookmark = time.monotonic()
            while time.monotonic() < deadline:
                changes = self.store.changes_since(t.key, since)
                if changes is None:
                    yield _dumps({"type": "ERROR", "object": st.gone(
                        f"too old resource version: {since} ({self.store.resource_version})").body()}) + b"\n"
                    return
                for c in changes:
                    since = c.rv
                    o = c.obj
                    ns = o["metadata"].get("namespace", "")
                    if namespace is not None and ns != namespace:
                        continue
                    if match(o):
                        yield event(c.type, o)
                if not changes:
                    since = max(since, self._settled_rv(t, since))
                if bookmarks and time.monotonic() - last_bookmark >= WATCH_BOOKMARK_SECONDS:
                    last_bookmark = time.monotonic()
                    yield _dumps({"type": "BOOKMARK", "object": {
                        "kind": t.kind, "apiVersion": t.api_version(info.version),
                        "metadata": {"resourceVersion": str(since)}}}) + b"\n"
                self.store.wait(min(0.5, max(deadline - time.monotonic(), 0)))

        return Response(stream(), content_type="application/json", direct_passthrough=True)

    def _settled_rv(self, t: ResourceType, since: int) -> int:
        """With nothing new for this resource, a watch may move its bookmark to the store's head."""
        return self.store.resource_version if self.store.changes_since(t.key, since) == [] else since

    def _log(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        data = self.pod_log(info, t, request.args.get("container", ""), request.args.get("previous") in ("true", "1"),
                            request.args.get("tailLines"), request.args.get("limitBytes"))
        return Response(data, content_type="text/plain")

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError as e:
            raise st.bad_request(f"the body of the request could not be decoded as JSON: {e}") from e
        if not isinstance(body, dict):
            raise st.bad_request("the body of the request must be a JSON object")
        return body

    def _check_kind(self, body: dict[str, Any], t: ResourceType) -> str:
        group, version = split_api_version(str(body.get("apiVersion", "")))
        if body.get("kind") != t.kind or group != t.group:
            raise st.bad_request(f"the API version in the data ({body.get('apiVersion')}) does not match the expected "
                                 f"API version ({t.api_version()})")
        return version

    def _create(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        body = self._body(request)
        body.setdefault("apiVersion", t.api_version(info.version))
        body.setdefault("kind", t.kind)
        version = self._check_kind(body, t)
        meta = body.setdefault("metadata", {})
        if t.namespaced:
            if meta.get("namespace") and meta["namespace"] != info.namespace:
                raise st.bad_request("the namespace of the provided object does not match the namespace sent on "
                                     "the request")
            meta["namespace"] = info.namespace
            ns_type = self.registry.by_kind("", "Namespace")
            if ns_type and self.store.get(ns_type, "", info.namespace) is None:
                raise st.not_found("namespaces", info.namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        validate(t, version, body)
        dry = bool(request.args.getlist("dryRun"))
        with self.store.lock:
            if self.store.get(t, info.namespace, meta["name"]) is not None:
                raise st.already_exists(t.group_resource, meta["name"])
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            for k in ("resourceVersion", "deletionTimestamp", "selfLink"):
                meta.pop(k, None)
            if "spec" in body and t.kind != "Pod":
                meta["generation"] = 1
            if dry:
                return _json(_with_version(body, t, info.version), 201)
            stored = self.store.put(t, body, created=True)
        return _json(_with_version(stored, t, info.version), 201)

    def _write(self, request: Request, info: RequestInfo, t: ResourceType, current: dict[str, Any],
               new: dict[str, Any], version: str) -> Response:
        """The shared tail of update and patch: preconditions, system fields, validation, persistence."""
        meta = new.setdefault("metadata", {})
        cur_meta = current["metadata"]
        if meta.get("name", info.name) != info.name:
            raise st.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                                 f"({info.name})")
        if t.namespaced and meta.get("namespace", info.namespace) != info.namespace:
            raise st.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
        if meta.get("resourceVersion") and meta["resourceVersion"] != cur_meta.get("resourceVersion"):
            raise st.conflict(t.group_resource, info.name, st.OBJECT_MODIFIED)
        if meta.get("uid") and meta["uid"] != cur_meta.get("uid"):
            raise st.conflict(t.group_resource, info.name,
                              f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: "
                              f"{cur_meta.get('uid')}")
        for k in ("uid", "creationTimestamp", "name", "generation", "deletionTimestamp"):
            if k in cur_meta:
                meta[k] = cur_meta[k]
        if t.namespaced:
            meta["namespace"] = info.namespace
        meta["resourceVersion"] = cur_meta.get("resourceVersion")
        new["apiVersion"], new["kind"] = t.api_version(version), t.kind
        if info.subresource == "status":
            new = {**copy.deepcopy(current), "status": new.get("status")}
        elif "status" in t.subresources:
            if "status" in current:
                new["status"] = copy.deepcopy(current["status"])
            else:
                new.pop("status", None)
        if info.subresource != "status" and _spec_of(new) != _spec_of(current) and "generation" in cur_meta:
            new["metadata"]["generation"] = int(cur_meta["generation"]) + 1
        validate(t, version, new)
        if new == current:
            return _json(_with_version(current, t, info.version))
        if request.args.getlist("dryRun"):
            return _json(_with_version(new, t, info.version))
        return _json(_with_version(self.store.put(t, new, created=False), t, info.version))

    def _update(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        body = self._body(request)
        version = self._check_kind(body, t)
        with self.store.lock:
            current = self._existing(info, t)
            if not (body.get("metadata") or {}).get("resourceVersion") and not t.builtin:
                raise st.invalid(t.group_kind, info.name, [st.FieldError(
                    "FieldValueInvalid", "metadata.resourceVersion", "must be specified for an update", 0)])
            return self._write(request, info, t, current, body, version)

    def _patch(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        body = request.get_data()
        with self.store.lock:
            current = self._existing(info, t)
            served = _with_version(current, t, info.version)
            patched = apply_patch(request.content_type or "", served, body, t.builtin)
            if not isinstance(patched, dict):
                raise st.bad_request("the patch did not produce an object")
            return self._write(request, info, t, current, patched, info.version)

    def _delete(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        with self.store.lock:
            current = self._existing(info, t)
            if request.args.getlist("dryRun"):
                return _json(_with_version(current, t, info.version))
            gone = self.store.delete(t, info.namespace, info.name)
        return _json(_with_version(gone or current, t, info.version))

    def _delete_collection(self, request: Request, info: RequestInfo, t: ResourceType) -> Response:
        _, items = self._selected(request, info, t)
        if not request.args.getlist("dryRun"):
            for o in items:
                self.store.delete(t, o["metadata"].get("namespace", ""), o["metadata"]["name"])
        return _json({"kind": f"{t.kind}List", "apiVersion": t.api_version(info.version),
                      "metadata": {"resourceVersion": str(self.store.resource_version)},
                      "items": [_with_version(o, t, info.version) for o in items]})

    # -- reviews -------------------------------------------------------------------------------

    def _review(self, request: Request, info: RequestInfo, t: ResourceType, caller: User) -> Response:
        body = self._body(request)
        spec = body.get("spec") or {}
        out = {"kind": t.kind, "apiVersion": t.api_version(info.version), "metadata": {"creationTimestamp": None},
               "spec": spec}
        if t.kind == "TokenReview":
            user = self.authn.authenticate(str(spec.get("token") or ""))
            out["status"] = ({"authenticated": True, "user": {"username": user.name, "uid": user.uid,
                                                              "groups": list(user.groups)}}
                             if user else {"user": {}, "error": "invalid bearer token"})
            return _json(out, 201)
        if t.kind == "SelfSubjectAccessReview":
            subject = caller
        else:
            if not spec.get("user") and not spec.get("groups"):
                raise st.invalid(t.group_kind, "", [st.FieldError(
                    "FieldValueRequired", "spec.user", "at least one of user or group must be specified")])
            subject = User(str(spec.get("user") or ""), tuple(spec.get("groups") or ()))
        ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if t.kind == "LocalSubjectAccessReview":
            ra = {**(ra or {}), "namespace": info.namespace}
        if ra:
            a = Attributes(subject, str(ra.get("verb", "")), str(ra.get("group", "")), str(ra.get("resource", "")),
                           str(ra.get("subresource", "")), str(ra.get("namespace", "")), str(ra.get("name", "")))
        elif nra:
            a = Attributes(subject, str(nra.get("verb", "")), path=str(nra.get("path", "")), resource_request=False)
        else:
            raise st.invalid(t.group_kind, "", [st.FieldError(
                "FieldValueRequired", "spec.resourceAttributes",
                "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        decision = self.authz.authorize(a)
        out["status"] = {"allowed": decision.allowed, **({"reason": decision.reason} if decision.reason else {})}
        return _json(out, 201)


def _same_object(a: dict[str, Any], b: dict[str, Any]) -> bool:
    strip = lambda o: {k: v for k, v in o.items() if k != "metadata"}  # noqa: E731
    return strip(a) == strip(b)


def _spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _container_status(pod: dict[str, Any], container: str) -> dict[str, Any]:
    status = pod.get("status") or {}
    for c in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if c.get("name") == container:
            return c
    return {}


def _wants_table(request: Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "as=Table" in accept
