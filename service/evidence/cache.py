"""Cache mode for portals that poll (KSERVE_DOCTOR_CACHE=watch): informers keep the cluster in memory.

Each informer lists one resource across all namespaces (in pages), then watches it from the list's
resourceVersion, applying ADDED, MODIFIED and DELETED events and moving its resourceVersion on
BOOKMARKs; a 410 (the resourceVersion is too old for the server's watch history) makes it list again,
as client-go's reflector does. Gathering then reads these kinds from memory and only logs (and the
few kinds not cached) from the API server, and every answer says how old its evidence is. A resource
the cluster does not serve (a CRD not installed) or that kserve-doctor may not list is marked so, and
gathering falls back to asking the API server, which reports the same 404 or 403 as without a cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from core.kube import Kube
from core.kube import errors as kerr
from core.kube import resources as R
from core.kube.selectors import Fields, Labels
from core.objects.fields import dig

log = logging.getLogger(__name__)

CACHED = (R.INFERENCE_SERVICES, R.PODS, R.KNATIVE_SERVICES, R.REVISIONS, R.DEPLOYMENTS, R.SERVICES,
          R.VIRTUAL_SERVICES, R.EVENTS, R.KNATIVE_INGRESSES, R.SERVING_RUNTIMES, R.CLUSTER_SERVING_RUNTIMES,
          R.AUTHORIZATION_POLICIES, R.INGRESSES)
PAGE = 500
RETRY_SECONDS = 5.0     # after a failed list or watch
RECHECK_SECONDS = 60.0  # for a resource the cluster does not serve (yet) or that may not be listed


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return (str(dig(obj, "metadata", "namespace", default="")), str(dig(obj, "metadata", "name", default="")))


def _slim(obj: dict[str, Any]) -> dict[str, Any]:
    """What is kept: everything but managedFields, which no diagnosis reads and which doubles the memory."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


class Informer:
    def __init__(self, kube: Kube, resource: R.Resource) -> None:
        self.kube, self.resource = kube, resource
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.synced = threading.Event()
        self.state = "syncing"          # syncing, ready, missing (not served), forbidden, failing
        self.resource_version = ""
        self.last_heard = 0.0           # monotonic time of the last list, event or bookmark
        self.lists = 0
        self.events = 0

    # -- reads ---------------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return self.state == "ready"

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get((namespace if self.resource.namespaced else "", name))

    def list(self, namespace: str | None, labels: Labels | None = None, fields: Fields | None = None,
             ) -> list[dict[str, Any]]:
        with self._lock:
            items = [o for (ns, _), o in self._objects.items() if namespace is None or ns == namespace]
        return [o for o in sorted(items, key=_key)
                if (labels is None or labels.matches(dig(o, "metadata", "labels", default={}) or {}))
                and (fields is None or fields.matches(o))]

    def __len__(self) -> int:
        return len(self._objects)

    # -- the reflector loop --------------------------------------------------------------------

    def _list(self) -> None:
        items: dict[tuple[str, str], dict[str, Any]] = {}
        token = None
        while True:
            page = self.kube.list(self.resource, None, limit=PAGE, cont=token)
            for o in page.get("items") or []:
                items[_key(o)] = _slim(o)
            token = dig(page, "metadata", "continue")
            if not token:
                rv = str(dig(page, "metadata", "resourceVersion", default=""))
                break
        with self._lock:
            self._objects = items
        self.resource_version, self.last_heard, self.state = rv, time.monotonic(), "ready"
        self.lists += 1
        self.synced.set()

    def _apply(self, event: dict[str, Any]) -> bool:
        """Apply one watch event; False when the watch must start over with a list."""
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                return False
            raise kerr.from_response(int(obj.get("code") or 500), None)
        rv = str(dig(obj, "metadata", "resourceVersion", default=""))
        with self._lock:
            if kind in ("ADDED", "MODIFIED"):
                self._objects[_key(obj)] = _slim(obj)
            elif kind == "DELETED":
                self._objects.pop(_key(obj), None)
        if rv:
            self.resource_version = rv
        self.last_heard = time.monotonic()
        self.events += 1
        return True

    def run(self, stop: threading.Event) -> None:
        needs_list = True
        while not stop.is_set():
            try:
                if needs_list:
                    self._list()
                    needs_list = False
                for event in self.kube.watch(self.resource, self.resource_version):
                    if stop.is_set():
                        return
                    if not self._apply(event):
                        needs_list = True
                        break
            except kerr.NotFound:
                self.state = "missing"
                self.synced.set()
                needs_list = True
                stop.wait(RECHECK_SECONDS)
            except kerr.Forbidden:
                self.state = "forbidden"
                self.synced.set()
                needs_list = True
                stop.wait(RECHECK_SECONDS)
            except kerr.KubeError as e:
                log.warning("informer for %s failed: %s", self.resource.label, e.message)
                if self.state != "ready":
                    self.state = "failing"
                self.synced.set()
                needs_list = needs_list or isinstance(e, kerr.Gone)
                stop.wait(RETRY_SECONDS)


class WatchCache:
    """One informer per cached resource, each on its own daemon thread."""

    def __init__(self, kube: Kube, resources: Iterable[R.Resource] = CACHED) -> None:
        self.informers = {r.label: Informer(kube, r) for r in resources}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> WatchCache:
        for name, inf in self.informers.items():
            t = threading.Thread(target=inf.run, args=(self._stop,), name=f"informer-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait_synced(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        return all(inf.synced.wait(max(end - time.monotonic(), 0)) for inf in self.informers.values())

    def informer(self, r: R.Resource) -> Informer | None:
        inf = self.informers.get(r.label)
        return inf if inf is not None and inf.usable else None

    def age_seconds(self, resources: Iterable[R.Resource]) -> float:
        """How long ago the stalest of these informers last heard from the API server."""
        now = time.monotonic()
        heard = [inf.last_heard for r in resources if (inf := self.informer(r)) is not None]
        return round(max((now - h for h in heard), default=0.0), 3)

    def stats(self) -> dict[str, dict[str, Any]]:
        return {name: {"state": inf.state, "objects": len(inf), "lists": inf.lists, "events": inf.events,
                       "resourceVersion": inf.resource_version} for name, inf in self.informers.items()}

    def stop(self) -> None:
        self._stop.set()
