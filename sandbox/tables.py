"""Server-side printing: the `meta.k8s.io/v1 Table` kubectl asks for with `Accept: ...;as=Table`.

kubectl's default `get` output comes from the server. The columns here follow the real server's
printers for the kinds a KServe cluster is debugged with (pods, events, InferenceServices, Knative
services and revisions); every other kind gets NAME and AGE, as a CRD without printer columns does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .kinds import ResourceType

Row = list[Any]


def age(obj: dict[str, Any]) -> str:
    ts = (obj.get("metadata") or {}).get("creationTimestamp")
    return _since(ts)


def _since(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    try:
        then = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    s = int((datetime.now(UTC) - then).total_seconds())
    if s < 120:
        return f"{max(s, 0)}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return {}


def _pod(obj: dict[str, Any]) -> Row:
    """kubectl's printPod: init containers first, then regular ones from the last to the first (so the first
    container's reason wins), Terminating when deleted, restarts of init and regular containers summed."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    inits = status.get("initContainerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses + inits)
    reason = status.get("reason") or status.get("phase") or ""
    initializing = False
    for i, c in enumerate(inits):
        term, wait = (c.get("state") or {}).get("terminated"), (c.get("state") or {}).get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            reason = f"Init:{term.get('reason') or 'Signal'}"
        elif wait and wait.get("reason") and wait.get("reason") != "PodInitializing":
            reason = f"Init:{wait['reason']}"
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        break
    if not initializing:
        for c in reversed(statuses):
            state = c.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif (state.get("terminated") or {}).get("reason"):
                reason = state["terminated"]["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return [obj["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", reason, restarts, age(obj)]


def _event(obj: dict[str, Any]) -> Row:
    io = obj.get("involvedObject") or {}
    return [_since(obj.get("lastTimestamp") or obj.get("eventTime") or (obj.get("metadata") or {})
                   .get("creationTimestamp")), obj.get("type", ""), obj.get("reason", ""),
            f"{str(io.get('kind', '')).lower()}/{io.get('name', '')}", obj.get("message", "")]


def _isvc(obj: dict[str, Any]) -> Row:
    """KServe's printer columns: URL, READY, PREV, LATEST, PREVROLLEDOUTREVISION, LATESTREADYREVISION, AGE."""
    status = obj.get("status") or {}
    predictor = (status.get("components") or {}).get("predictor") or {}
    traffic = predictor.get("traffic") or []
    latest = next((str(t.get("percent", "")) for t in traffic if t.get("latestRevision")), "")
    prev = next((str(t.get("percent", "")) for t in traffic if t.get("latestRevision") is False), "")
    return [obj["metadata"]["name"], status.get("url", ""), _condition(obj, "Ready").get("status", ""), prev, latest,
            predictor.get("previousRolledoutRevision", ""), predictor.get("latestReadyRevision", ""), age(obj)]


def _ksvc(obj: dict[str, Any]) -> Row:
    status = obj.get("status") or {}
    ready = _condition(obj, "Ready")
    return [obj["metadata"]["name"], status.get("url", ""), status.get("latestCreatedRevisionName", ""),
            status.get("latestReadyRevisionName", ""), ready.get("status", ""), ready.get("reason", "")]


def _revision(obj: dict[str, Any]) -> Row:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    ready = _condition(obj, "Ready")
    return [obj["metadata"]["name"], labels.get("serving.knative.dev/configuration", ""),
            labels.get("serving.knative.dev/configurationGeneration", ""), ready.get("status", ""),
            ready.get("reason", ""), (obj.get("status") or {}).get("actualReplicas", ""),
            (obj.get("status") or {}).get("desiredReplicas", "")]


def _deployment(obj: dict[str, Any]) -> Row:
    st = obj.get("status") or {}
    return [obj["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{(obj.get('spec') or {}).get('replicas', 1)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0), age(obj)]


def _replicaset(obj: dict[str, Any]) -> Row:
    st = obj.get("status") or {}
    return [obj["metadata"]["name"], (obj.get("spec") or {}).get("replicas", 0), st.get("replicas", 0),
            st.get("readyReplicas", 0), age(obj)]


def _hpa(obj: dict[str, Any]) -> Row:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    return [obj["metadata"]["name"], f"{ref.get('kind', '')}/{ref.get('name', '')}", spec.get("minReplicas", 1),
            spec.get("maxReplicas", ""), st.get("currentReplicas", 0), age(obj)]


def _quota(obj: dict[str, Any]) -> Row:
    st = obj.get("status") or {}
    used, hard = st.get("used") or {}, st.get("hard") or {}
    pairs = ", ".join(f"{k}: {used.get(k, '0')}/{v}" for k, v in sorted(hard.items()))
    return [obj["metadata"]["name"], age(obj), pairs]


def _default(obj: dict[str, Any]) -> Row:
    return [obj["metadata"]["name"], age(obj)]


_COLUMNS: dict[tuple[str, str], tuple[list[str], Callable[[dict[str, Any]], Row]]] = {
    ("", "pods"): (["Name", "Ready", "Status", "Restarts", "Age"], _pod),
    ("", "events"): (["Last Seen", "Type", "Reason", "Object", "Message"], _event),
    ("apps", "deployments"): (["Name", "Ready", "Up-to-date", "Available", "Age"], _deployment),
    ("serving.kserve.io", "inferenceservices"): (
        ["Name", "URL", "Ready", "Prev", "Latest", "PrevRolledoutRevision", "LatestReadyRevision", "Age"], _isvc),
    ("apps", "replicasets"): (["Name", "Desired", "Current", "Ready", "Age"], _replicaset),
    ("autoscaling", "horizontalpodautoscalers"): (
        ["Name", "Reference", "MinPods", "MaxPods", "Replicas", "Age"], _hpa),
    ("", "resourcequotas"): (["Name", "Age", "Request"], _quota),
    ("serving.knative.dev", "services"): (
        ["Name", "URL", "LatestCreated", "LatestReady", "Ready", "Reason"], _ksvc),
    ("serving.knative.dev", "revisions"): (
        ["Name", "Config Name", "Generation", "Ready", "Reason", "Actual Replicas", "Desired Replicas"], _revision),
}


def table(t: ResourceType, objects: list[dict[str, Any]], list_meta: dict[str, Any],
          include_object: str = "Metadata") -> dict[str, Any]:
    """includeObject: None (no object), Metadata (PartialObjectMetadata, the default) or Object (the whole
    object, which kubectl asks for with --sort-by and custom columns)."""
    names, row = _COLUMNS.get(t.key, (["Name", "Age"], _default))

    def embedded(o: dict[str, Any]) -> dict[str, Any] | None:
        if include_object == "None":
            return None
        if include_object == "Object":
            return o
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata") or {}}

    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
        "columnDefinitions": [{"name": n, "type": "string", "format": "name" if n == "Name" else "",
                               "description": "", "priority": 0} for n in names],
        "rows": [{"cells": row(o), "object": embedded(o)} for o in objects],
    }
