"""The sandbox's in-memory etcd: objects by resource, one resourceVersion counter, a watch history.

Stored objects are never mutated in place: every write stores a fresh dict, so readers can hand out
references without copying and a list is a consistent snapshot of the moment it was taken. Every
persisted change takes the next resourceVersion and is appended to a bounded history from which
watches are served; a watch that starts before the oldest retained change gets 410 Gone, as with a
compacted etcd.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .kinds import ResourceType

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)

# How many changes a watch can be resumed from; older resourceVersions answer 410 Gone.
HISTORY = 50_000


@dataclass(frozen=True)
class Change:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: tuple[str, str]
    obj: Obj


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self) -> None:
        self._lock = threading.Condition(threading.RLock())
        self._rv = 1000
        self._objects: dict[tuple[str, str], dict[Key, Obj]] = {}
        # events are looked up by the object they are about far more than anything else
        self._event_index: dict[tuple[str, str], set[Key]] = {}
        # (resource, label key, label value) -> keys: a selector list costs its matches, not the namespace's size
        self._label_index: dict[tuple[tuple[str, str], str, str], set[Key]] = {}
        self._history: deque[Change] = deque(maxlen=HISTORY)
        self._oldest_rv = self._rv

    # -- reads ---------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, t: ResourceType, namespace: str, name: str) -> Obj | None:
        return self._objects.get(t.key, {}).get((namespace if t.namespaced else "", name))

    def list(self, t: ResourceType, namespace: str | None,
             match: Callable[[Obj], bool] | None = None, involved_name: str | None = None,
             label_terms: Sequence[tuple[str, Sequence[str]]] = ()) -> tuple[int, list[Obj]]:
        """A consistent (resourceVersion, objects) snapshot, in etcd key order.

        `label_terms` (`key in values` requirements that `match` also checks) only narrow the
        candidates through the label index; `match` still decides.
        """
        with self._lock:
            bucket = self._objects.get(t.key, {})
            keys: Iterable[Key]
            if involved_name is not None and t.plural == "events":
                keys = self._event_index.get((namespace or "", involved_name), ())
                if namespace is None:
                    keys = [k for (ns, n), ks in self._event_index.items() if n == involved_name for k in ks]
            elif label_terms:
                keys = self._labelled(t, label_terms)
            else:
                keys = bucket.keys()
            if namespace is not None and t.namespaced:
                keys = [k for k in keys if k[0] == namespace]
            items = [bucket[k] for k in sorted(keys) if k in bucket]
            rv = self._rv
        if match is not None:
            items = [o for o in items if match(o)]
        return rv, items

    def _labelled(self, t: ResourceType, terms: Sequence[tuple[str, Sequence[str]]]) -> set[Key]:
        found: set[Key] | None = None
        for key, values in terms:
            either: set[Key] = set()
            for v in values:
                either |= self._label_index.get((t.key, key, v), set())
            found = either if found is None else found & either
            if not found:
                break
        return found or set()

    def count(self) -> int:
        return sum(len(b) for b in self._objects.values())

    # -- writes --------------------------------------------------------------------------------

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def _index(self, t: ResourceType, key: Key, obj: Obj | None, old: Obj | None) -> None:
        for o, add in ((old, False), (obj, True)):
            if o is None:
                continue
            for lk, lv in ((o.get("metadata") or {}).get("labels") or {}).items():
                ix = (t.key, lk, str(lv))
                if add:
                    self._label_index.setdefault(ix, set()).add(key)
                elif ix in self._label_index:
                    self._label_index[ix].discard(key)
            if t.plural != "events" or t.group not in ("", "events.k8s.io"):
                continue
            ref = o.get("involvedObject") or o.get("regarding") or {}
            ik = (key[0], str(ref.get("name", "")))
            if add:
                self._event_index.setdefault(ik, set()).add(key)
            else:
                self._event_index.get(ik, set()).discard(key)

    def _record(self, t: ResourceType, kind: str, obj: Obj) -> None:
        if len(self._history) == self._history.maxlen:
            self._oldest_rv = self._history[0].rv
        self._history.append(Change(int(obj["metadata"]["resourceVersion"]), kind, t.key, obj))
        self._lock.notify_all()

    def load(self, t: ResourceType, obj: Obj) -> None:
        """Store a bundle object as it is, filling in what the API server would have set."""
        with self._lock:
            meta = obj.setdefault("metadata", {})
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_rfc3339())
            if "spec" in obj and t.kind not in ("Pod",):
                meta.setdefault("generation", 1)
            meta["resourceVersion"] = str(self._next_rv())
            key = (meta.get("namespace", "") if t.namespaced else "", meta["name"])
            old = self._objects.setdefault(t.key, {}).get(key)
            self._objects[t.key][key] = obj
            self._index(t, key, obj, old)
            self._oldest_rv = self._rv

    def put(self, t: ResourceType, obj: Obj, *, created: bool) -> Obj:
        """Persist a validated object under a new resourceVersion and tell watchers."""
        with self._lock:
            meta = obj["metadata"]
            meta["resourceVersion"] = str(self._next_rv())
            key = (meta.get("namespace", "") if t.namespaced else "", meta["name"])
            old = self._objects.setdefault(t.key, {}).get(key)
            self._objects[t.key][key] = obj
            self._index(t, key, obj, old)
            self._record(t, "ADDED" if created else "MODIFIED", obj)
            return obj

    def delete(self, t: ResourceType, namespace: str, name: str) -> Obj | None:
        with self._lock:
            key = (namespace if t.namespaced else "", name)
            old = self._objects.get(t.key, {}).pop(key, None)
            if old is None:
                return None
            self._index(t, key, None, old)
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._next_rv())
            self._record(t, "DELETED", gone)
            return gone

    @property
    def lock(self) -> threading.Condition:
        """Held across read-modify-write, so that a resourceVersion check and its write are atomic."""
        return self._lock

    # -- watch ---------------------------------------------------------------------------------

    def changes_since(self, resource: tuple[str, str], rv: int) -> list[Change] | None:
        """Changes to one resource after rv; None when rv is older than the retained history."""
        with self._lock:
            if rv < self._oldest_rv:
                return None
            return [c for c in self._history if c.rv > rv and c.resource == resource]

    def wait(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait(timeout)

    def iter_all(self) -> Iterator[tuple[tuple[str, str], Mapping[Key, Obj]]]:
        yield from self._objects.items()
