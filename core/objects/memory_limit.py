"""The memory limit a serving container really runs with, and where it comes from.

One rule, read by the OOM diagnoser (over a snapshot) and by raise-memory-limit (over what it reads
for its plan): the InferenceService's own limit wins; else the ServingRuntime's (the namespaced one,
then the ClusterServingRuntime of that name), which KServe merges into the pod; else what a pod runs
with (a LimitRange default, or a runtime that could not be read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from core.quantities import QuantityError, doubled_memory, format_bytes, parse

from . import inference_service as isvclib
from . import pods as podlib
from .fields import as_list, dig, name_of

Source = Literal["spec", "runtime", "pod", "none"]


@dataclass(frozen=True)
class MemoryLimit:
    value: str                         # the quantity as written, "" when there is none
    source: Source
    spec_path: str = ""                # where the InferenceService keeps it, for source "spec"
    runtime: dict[str, Any] | None = None  # the ServingRuntime or ClusterServingRuntime, for source "runtime"


def effective(isvc: Any, component: str, container: str, runtimes: Iterable[Any] = (),
              pods: Iterable[Any] = ()) -> MemoryLimit:
    """runtimes: those that could be read, namespaced ones first; pods: the component's, any order."""
    sc = isvclib.serving_container(isvc, component, container)
    declared = dig(sc.resources, "limits", "memory") if sc else None
    if sc is not None and declared:
        return MemoryLimit(str(declared), "spec", f"{sc.path}.resources.limits.memory")
    wanted = isvclib.runtime_name(isvc)
    for rt in runtimes:
        if wanted and name_of(rt) == wanted:
            for c in as_list(dig(rt, "spec", "containers")):
                if isinstance(c, dict) and c.get("name") == container and dig(c, "resources", "limits", "memory"):
                    return MemoryLimit(str(c["resources"]["limits"]["memory"]), "runtime", runtime=rt)
    for pod in pods:
        applied = dig(podlib.spec_container(pod, container), "resources", "limits", "memory")
        if applied:
            return MemoryLimit(str(applied), "pod")
    return MemoryLimit("", "none")


def doubled(limit: str) -> str:
    """Twice the limit, rounded up to a whole Mi (whole Gi from 1Gi); "" when it is not a quantity."""
    try:
        return format_bytes(doubled_memory(parse(limit)))
    except QuantityError:
        return ""
