"""raise-memory-limit: raise the memory limit of one serving container of one component.

Changes the InferenceService, where its spec keeps that container (`spec.<component>.model`, an
old-style framework key such as `spec.predictor.sklearn`, or `spec.<component>.containers[i]`); the
request is lowered to the new limit only if it would otherwise be above it. The current limit is the
InferenceService's own, else its ServingRuntime's, else what the running pods have. The default new
limit doubles the current one, rounded up to a whole Mi (whole Gi from 1Gi). Refused above
KSERVE_DOCTOR_MAX_MEMORY or a LimitRange's maximum. Never offered for the storage-initializer,
which no InferenceService field sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from core.kube import errors as kerr
from core.kube import resources as R
from core.objects import inference_service as isvclib
from core.objects import memory_limit
from core.objects import pods as podlib
from core.objects.fields import as_dict, as_list, dig, name_of
from core.quantities import QuantityError, format_bytes, parse

from .base import Change, Plan, PlanRefused, Reader, Remediator, Suggestion, Target, optional_list
from .patch import PatchBuilder


class RaiseMemoryLimitParams(Schema):
    component = fields.String(load_default="predictor", validate=validate.OneOf(isvclib.COMPONENTS),
                              metadata={"description": "predictor, transformer or explainer"})
    container = fields.String(load_default=isvclib.MODEL_CONTAINER,
                              metadata={"description": "the container's name (kserve-container for the model)"})
    memory = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "the new limit, a Kubernetes quantity (default: twice the "
                                                    "current one, rounded up to a whole Mi/Gi)",
                                     "example": "1Gi"})

    @validates("memory")
    def _quantity(self, value: str | None, **_: Any) -> None:
        if value is None:
            return
        try:
            q = parse(value)
        except QuantityError as e:
            raise ValidationError(f"not a Kubernetes quantity: {value!r}") from e
        if q <= 0:
            raise ValidationError("must be greater than zero")

    @validates("container")
    def _not_storage_initializer(self, value: str, **_: Any) -> None:
        if value == "storage-initializer":
            raise ValidationError("the storage-initializer is sized by KServe's inferenceservice-config, not by the "
                                  "InferenceService")


def _runtimes(reader: Reader, isvc: dict[str, Any]) -> list[dict[str, Any]]:
    """The ServingRuntime the InferenceService names, then the ClusterServingRuntime of that name, as readable."""
    name = isvclib.runtime_name(isvc)
    found = []
    for r, ns in ((R.SERVING_RUNTIMES, str(dig(isvc, "metadata", "namespace"))), (R.CLUSTER_SERVING_RUNTIMES, "")):
        if not name:
            break
        try:
            found.append(reader.get(r, ns, name))
        except (kerr.NotFound, kerr.Forbidden):
            continue
    return found


def _pods(reader: Reader, t: Target, component: str, warnings: list[str]) -> list[dict[str, Any]]:
    return optional_list(reader, R.PODS, t.namespace, warnings, "The number of pods (for the quota headroom)",
                         labels=f"serving.kserve.io/inferenceservice={t.name},component={component}")


def _limit_range_max(reader: Reader, namespace: str, warnings: list[str]) -> tuple[Decimal | None, str]:
    best: tuple[Decimal | None, str] = (None, "")
    for lr in optional_list(reader, R.LIMIT_RANGES, namespace, warnings, "The LimitRange maximum"):
        for item in as_list(dig(lr, "spec", "limits")):
            if isinstance(item, dict) and item.get("type") == "Container" and dig(item, "max", "memory"):
                try:
                    q = parse(item["max"]["memory"])
                except QuantityError:
                    continue
                if best[0] is None or q < best[0]:
                    best = (q, f"LimitRange {name_of(lr)} (max {item['max']['memory']} per container)")
    return best


def _quota_warnings(reader: Reader, namespace: str, extra: Decimal, replicas: int) -> list[str]:
    out: list[str] = []
    for q in optional_list(reader, R.RESOURCE_QUOTAS, namespace, out, "The ResourceQuota headroom"):
        hard = as_dict(dig(q, "status", "hard")) or as_dict(dig(q, "spec", "hard"))
        used = as_dict(dig(q, "status", "used"))
        for key in ("limits.memory", "memory", "requests.memory"):
            if key not in hard or (key != "limits.memory" and extra == 0):
                continue
            try:
                room = parse(hard[key]) - parse(used.get(key, "0"))
            except QuantityError:
                continue
            need = extra * max(replicas, 1)
            if need > room:
                out.append(f"ResourceQuota {name_of(q)} has {format_bytes(max(room, Decimal(0)))} of {key} left but "
                           f"the new limit needs {format_bytes(need)} more for {max(replicas, 1)} pod(s): new pods "
                           "will be refused until the quota is raised or room is freed.")
    return out


def plan(reader: Reader, t: Target, params: dict[str, Any]) -> Plan:
    isvc = reader.get(R.INFERENCE_SERVICES, t.namespace, t.name)
    component, container = params["component"], params["container"]
    if component not in isvclib.components(isvc):
        raise PlanRefused("component", f"the InferenceService has no {component} "
                                       f"(it has: {', '.join(isvclib.components(isvc))})")
    sc = isvclib.serving_container(isvc, component, container)
    if sc is None:
        names = [c.name for c in isvclib.serving_containers(isvc, component)]
        raise PlanRefused("container", f"the {component} has no container {container!r} "
                                       f"(it has: {', '.join(names) or 'none'})")
    resources = sc.resources
    notes: list[str] = []
    declared = str(dig(resources, "limits", "memory", default=""))
    runtimes = [] if declared else _runtimes(reader, isvc)
    pods = _pods(reader, t, component, notes)
    replicas = len(pods)
    limit = memory_limit.effective(isvc, component, container, runtimes, pods)
    current = limit.value
    source = {"spec": limit.spec_path, "runtime": f"ServingRuntime {isvclib.runtime_name(isvc)}",
              "pod": "the running pods"}.get(limit.source, "the running pods")
    try:
        current_q = parse(current) if current else None
    except QuantityError:
        current_q = None
    if params.get("memory"):
        new_q = parse(params["memory"])
        new = str(params["memory"])
    elif current_q is not None:
        new = memory_limit.doubled(current)
        new_q = parse(new)
    else:
        raise PlanRefused("memory", "the container has no memory limit anywhere (InferenceService, ServingRuntime "
                                    "or pods): give the new limit in `memory`")
    if current_q is not None and new_q < current_q:
        raise PlanRefused("memory", f"{new} is below the current limit {current} (from {source}): this remediator "
                                    "only raises limits")
    if current_q is not None and new_q == current_q and declared:
        return Plan([], [f"The memory limit is already {current} ({source})."],
                    {"component": component, "container": container, "memory": current})
    ceiling = parse(reader.max_memory)
    if new_q > ceiling:
        raise PlanRefused("memory", f"{new} is above the highest limit this service sets, KSERVE_DOCTOR_MAX_MEMORY "
                                    f"({reader.max_memory})")
    lr_max, lr_name = _limit_range_max(reader, t.namespace, notes)
    if lr_max is not None and new_q > lr_max:
        raise PlanRefused("memory", f"{new} is above the maximum of {lr_name}")

    b = PatchBuilder(isvc)
    base = [*sc.pointer.strip("/").split("/"), "resources"]
    tokens: list[str | int] = [int(x) if x.isdigit() else x for x in base]
    b.set([*tokens, "limits", "memory"], new)
    warnings = [f"The current limit {current or 'none'} comes from {source}." if current else
                "No current memory limit was found."]
    request = dig(resources, "requests", "memory")
    if request is not None:
        try:
            if parse(request) > new_q:
                b.set([*tokens, "requests", "memory"], new)
                warnings.append(f"The memory request {request} is above the new limit and is lowered to {new}.")
        except QuantityError:
            warnings.append(f"The memory request {request!r} is not a valid quantity.")
    limits = as_dict(resources.get("limits"))
    requests = as_dict(resources.get("requests"))
    if limits and requests and all(str(requests.get(k)) == str(v) for k, v in limits.items()) and \
            set(limits) >= {"cpu", "memory"}:
        warnings.append("Pods of this component are Guaranteed QoS (requests equal limits) and become Burstable: "
                        "under node memory pressure they are evicted before Guaranteed pods.")
    mode = isvclib.deployment_mode(isvc)
    warnings.append("Knative creates a new revision and moves traffic to it once it is Ready; the failing revision "
                    "keeps its old limit." if mode == isvclib.SERVERLESS else
                    f"The Deployment {t.name}-{component} rolls its pods out again with the new limit.")
    extra = new_q - (current_q or Decimal(0))
    warnings += _quota_warnings(reader, t.namespace, extra, replicas) + notes
    resolved = {"component": component, "container": container, "memory": new}
    if not b.changed:
        return Plan([], ["The limit is already set to that value."], resolved)
    change = Change(R.INFERENCE_SERVICES, isvc, b.ops, b.doc, frozenset(b.volatile))
    return Plan([change], warnings, resolved)


def offer(code: str, variant: str, facts: Mapping[str, Any]) -> Suggestion | None:
    """The OOM-killed container, to the limit the diagnosis suggests; never a sidecar the InferenceService
    does not size."""
    container, memory = str(facts["container"]), str(facts["suggested"])
    if container in podlib.SIDECARS:
        return None
    return Suggestion({"component": facts["component"], "container": container, "memory": memory},
                      f"Raise the memory limit of {container} to {memory}")


REMEDIATOR = Remediator(
    id="raise-memory-limit",
    title="Raise a container's memory limit",
    changes="the memory limit (and the request, if it is above the new limit) of one serving container of one "
            "component of the InferenceService, where its spec keeps it",
    fixes=("CONTAINER_OOM_KILLED",),
    params=RaiseMemoryLimitParams,
    rbac=({"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"], "verbs": ["patch"]},),
    plan=plan,
    offer=offer,
)
