"""restart-pods: roll a component's pods out again, the way `kubectl rollout restart` does.

Changes the InferenceService: sets the `kubectl.kubernetes.io/restartedAt` annotation in
`spec.<component>.annotations`, which KServe copies onto the component's pod template. The owner then
rolls the pods out (a new Knative revision in Serverless mode, a rolling update in RawDeployment);
no pod is deleted by hand, and the Deployment Knative owns is never edited (Knative would revert it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from core.kube import resources as R
from core.objects import inference_service as isvclib

from .base import Change, Plan, PlanRefused, Reader, Remediator, Suggestion, Target
from .patch import PatchBuilder

ANNOTATION = "kubectl.kubernetes.io/restartedAt"


class RestartPodsParams(Schema):
    component = fields.String(load_default="predictor", validate=validate.OneOf(isvclib.COMPONENTS),
                              metadata={"description": "predictor, transformer or explainer"})
    restartedAt = fields.DateTime(load_default=None, allow_none=True, format="iso", metadata={
        "description": "the timestamp to set (default: now); the preview answers the one it used"})


def plan(reader: Reader, t: Target, params: dict[str, Any]) -> Plan:
    isvc = reader.get(R.INFERENCE_SERVICES, t.namespace, t.name)
    component = params["component"]
    if component not in isvclib.components(isvc):
        raise PlanRefused("component", f"the InferenceService has no {component} "
                                       f"(it has: {', '.join(isvclib.components(isvc))})")
    when = params.get("restartedAt") or datetime.now(UTC)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    b = PatchBuilder(isvc).set(["spec", component, "annotations", ANNOTATION], stamp, volatile=True)
    mode = isvclib.deployment_mode(isvc)
    warnings = ["Knative creates a new revision of the " + component + " and moves traffic to it once it is Ready; "
                "the pods of the old revision are then scaled down." if mode == isvclib.SERVERLESS else
                f"The Deployment {t.name}-{component} replaces its pods one by one (a rolling update)."]
    return Plan([Change(R.INFERENCE_SERVICES, isvc, b.ops, b.doc, frozenset(b.volatile))], warnings,
                {"component": component, "restartedAt": stamp})


def offer(code: str, variant: str, facts: Mapping[str, Any]) -> Suggestion | None:
    """Once the cause is fixed, new pods pick it up. Not for a storage-initializer killed for memory (a
    restart gives it none), nor for a model missing from storage unless the server already runs (a
    failing download retries by itself)."""
    if (code, variant) == ("STORAGE_INITIALIZER_FAILED", "oom"):
        return None
    if code == "MODEL_NOT_FOUND_IN_STORAGE":
        if variant != "ready":
            return None
        return Suggestion({"component": facts["component"]},
                          "Roll the pods out again once storageUri points at the model")
    return Suggestion({"component": facts["component"]}, "Roll the pods out again once the cause is fixed")


REMEDIATOR = Remediator(
    id="restart-pods",
    title="Restart a component's pods",
    changes=f"the {ANNOTATION} annotation on the component's pod template, set through the InferenceService",
    fixes=("CONTAINER_CRASH_LOOP", "STORAGE_INITIALIZER_FAILED", "PROBE_FAILING", "MODEL_NOT_FOUND_IN_STORAGE"),
    params=RestartPodsParams,
    rbac=({"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"], "verbs": ["patch"]},),
    plan=plan,
    offer=offer,
)
