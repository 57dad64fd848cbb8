"""Scenario bundles (../shared/scenarios/FORMAT.md) read from disk, never written back.

A bundle is the state of a cluster around one InferenceService: `cluster.yaml` (objects as
`kubectl get -o yaml` prints them; `List` documents are unpacked), `logs/<ns>/<pod>/<container>[.previous].log`,
and the optional `faults.yaml` and `users.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it: bundles are parsed on every sandbox start
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LogKey = tuple[str, str, str, bool]  # namespace, pod, container, previous


@dataclass
class Bundle:
    path: Path
    objects: list[dict[str, Any]]
    logs: dict[LogKey, bytes] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


class BundleError(ValueError):
    """A bundle that cannot be served, with the file and the reason."""


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    try:
        docs = list(yaml.load_all(path.read_text(), Loader=_Loader))
    except yaml.YAMLError as e:
        raise BundleError(f"{path}: not valid YAML: {e}") from e
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise BundleError(f"{path}: a document is not a mapping")
        if doc.get("kind") == "List" or (doc.get("kind", "").endswith("List") and "items" in doc):
            yield from doc.get("items") or []
        else:
            yield doc


def _check(path: Path, obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    if not obj.get("apiVersion") or not obj.get("kind") or not meta.get("name"):
        raise BundleError(f"{path}: an object lacks apiVersion, kind or metadata.name: "
                          f"{obj.get('kind')}/{meta.get('name')}")


def load(path: Path) -> Bundle:
    path = Path(path)
    cluster = path / "cluster.yaml"
    if not cluster.is_file():
        raise BundleError(f"{path}: no cluster.yaml")
    objects = list(_documents(cluster))
    for obj in objects:
        _check(cluster, obj)
    logs: dict[LogKey, bytes] = {}
    for f in sorted((path / "logs").glob("*/*/*.log")):
        container = f.name[: -len(".log")]
        previous = container.endswith(".previous")
        if previous:
            container = container[: -len(".previous")]
        logs[(f.parent.parent.name, f.parent.name, container, previous)] = f.read_bytes()
    faults = _optional_list(path / "faults.yaml")
    users = _optional_list(path / "users.yaml")
    return Bundle(path, objects, logs, faults, users)


def _optional_list(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    data = yaml.load(path.read_text(), Loader=_Loader) or []
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise BundleError(f"{path}: must be a list of mappings")
    return data
