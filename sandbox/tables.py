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
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    reason = status.get("reason") or status.get("phase") or ""
    for i, c in enumerate(status.get("initContainerStatuses") or []):
        term, wait = (c.get("state") or {}).get("terminated"), (c.get("state") or {}).get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = f"Init:{term.get('reason') or 'Signal'}"
        elif wait and wait.get("reason") and wait.get("reason") != "PodInitializing":
            reason = f"Init:{wait['reason']}"
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        break
    else:
        for c in statuses:
            state = c.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif (state.get("terminated") or {}).get("reason"):
                reason = state["terminated"]["reason"]
    return [obj["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", reason, restarts, age(obj)]


def _event(obj: dict[str, Any]) -> Row:
    io = obj.get("involvedObject") or {}
    return [_since(obj.get("lastTimestamp") or obj.get("eventTime") or (obj.get("metadata") or {})
                   .get("creationTimestamp")), obj.get("type", ""), obj.get("reason", ""),
            f"{str(io.get('kind', '')).lower()}/{io.get('name', '')}", obj.get("message", "")]


def _isvc(obj: dict[str, Any]) -> Row:
    status = obj.get("status") or {}
    traffic = ((status.get("components") or {}).get("predictor") or {}).get("traffic") or []
    latest = next((str(t.get("percent", "")) for t in traffic if t.get("latestRevision")), "")
    return [obj["metadata"]["name"], status.get("url", ""), _condition(obj, "Ready").get("status", ""), latest,
            age(obj)]


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


def _default(obj: dict[str, Any]) -> Row:
    return [obj["metadata"]["name"], age(obj)]


_COLUMNS: dict[tuple[str, str], tuple[list[str], Callable[[dict[str, Any]], Row]]] = {
    ("", "pods"): (["Name", "Ready", "Status", "Restarts", "Age"], _pod),
    ("", "events"): (["Last Seen", "Type", "Reason", "Object", "Message"], _event),
    ("apps", "deployments"): (["Name", "Ready", "Up-to-date", "Available", "Age"], _deployment),
    ("serving.kserve.io", "inferenceservices"): (["Name", "URL", "Ready", "Latest", "Age"], _isvc),
    ("serving.knative.dev", "services"): (
        ["Name", "URL", "LatestCreated", "LatestReady", "Ready", "Reason"], _ksvc),
    ("serving.knative.dev", "revisions"): (
        ["Name", "Config Name", "Generation", "Ready", "Reason", "Actual Replicas", "Desired Replicas"], _revision),
}


def table(t: ResourceType, objects: list[dict[str, Any]], list_meta: dict[str, Any]) -> dict[str, Any]:
    names, row = _COLUMNS.get(t.key, (["Name", "Age"], _default))
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
        "columnDefinitions": [{"name": n, "type": "string", "format": "name" if n == "Name" else "",
                               "description": "", "priority": 0} for n in names],
        "rows": [{"cells": row(o), "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                "metadata": o.get("metadata") or {}}} for o in objects],
    }
