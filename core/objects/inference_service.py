"""The InferenceService: its components, where each keeps its containers, and its reported state.

KServe has written the same thing three ways: new-style `spec.predictor.model` (v0.8+), old-style
framework keys (`spec.predictor.sklearn`, `.tensorflow`, ...) and custom `containers`. Transformers
and explainers carry containers or an explainer framework (`alibi`, `art`). These helpers find the
serving container wherever the spec keeps it, with the field path a JSON patch needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import condition
from .fields import annotations_of, as_dict, as_list, dig

COMPONENTS = ("predictor", "transformer", "explainer")
FRAMEWORKS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "lightgbm", "pmml", "paddle",
              "huggingface", "mlflow")
EXPLAINERS = ("alibi", "art")
MODEL_CONTAINER = "kserve-container"

SERVERLESS, RAW, MODELMESH = "Serverless", "RawDeployment", "ModelMesh"
_MODES = {"serverless": SERVERLESS, "rawdeployment": RAW, "raw": RAW, "standard": RAW, "modelmesh": MODELMESH}


@dataclass(frozen=True)
class ServingContainer:
    """A container of a component as the InferenceService declares it."""

    component: str
    name: str           # the container's name in the pod
    path: str           # JSON-pointer-ish field path in the InferenceService, e.g. spec.predictor.model
    pointer: str        # RFC 6901 pointer to the same place, e.g. /spec/predictor/model
    spec: dict[str, Any]
    style: str          # "model", "framework", "containers", "explainer"

    @property
    def resources(self) -> dict[str, Any]:
        return as_dict(self.spec.get("resources"))


def components(isvc: Any) -> list[str]:
    """The components the spec declares, predictor first."""
    spec = as_dict(dig(isvc, "spec"))
    return [c for c in COMPONENTS if c == "predictor" or isinstance(spec.get(c), dict)]


def serving_containers(isvc: Any, component: str) -> list[ServingContainer]:
    comp = as_dict(dig(isvc, "spec", component))
    out: list[ServingContainer] = []
    if isinstance(comp.get("model"), dict):
        out.append(ServingContainer(component, MODEL_CONTAINER, f"spec.{component}.model",
                                    f"/spec/{component}/model", comp["model"], "model"))
    for fw in FRAMEWORKS + EXPLAINERS:
        if isinstance(comp.get(fw), dict):
            out.append(ServingContainer(component, MODEL_CONTAINER, f"spec.{component}.{fw}",
                                        f"/spec/{component}/{fw}", comp[fw], "explainer" if fw in EXPLAINERS
                                        else "framework"))
    for i, c in enumerate(as_list(comp.get("containers"))):
        if not isinstance(c, dict):
            continue
        name = str(c.get("name") or MODEL_CONTAINER)
        if any(s.name == name for s in out) and i == 0 and not c.get("image"):
            continue  # a containers[0] that only adds to the model container (KServe merges them)
        out.append(ServingContainer(component, name, f"spec.{component}.containers[{i}]",
                                    f"/spec/{component}/containers/{i}", c, "containers"))
    return out


def serving_container(isvc: Any, component: str, name: str = MODEL_CONTAINER) -> ServingContainer | None:
    return next((c for c in serving_containers(isvc, component) if c.name == name), None)


def storage_uri(isvc: Any, component: str = "predictor") -> str:
    for c in serving_containers(isvc, component):
        if c.spec.get("storageUri"):
            return str(c.spec["storageUri"])
        for env in as_list(c.spec.get("env")):
            if isinstance(env, dict) and env.get("name") == "STORAGE_URI" and env.get("value"):
                return str(env["value"])
    return str(dig(isvc, "spec", component, "storageUri", default=""))


def model_format(isvc: Any) -> str:
    fmt = dig(isvc, "spec", "predictor", "model", "modelFormat", "name")
    if fmt:
        return str(fmt)
    comp = as_dict(dig(isvc, "spec", "predictor"))
    return next((fw for fw in FRAMEWORKS if isinstance(comp.get(fw), dict)), "")


def predictor_model(isvc: Any) -> tuple[str, dict[str, Any]]:
    """The predictor's model spec and its path: the new-style `model`, else the old-style framework key."""
    comp = as_dict(dig(isvc, "spec", "predictor"))
    if isinstance(comp.get("model"), dict):
        return "spec.predictor.model", comp["model"]
    fw = next((fw for fw in FRAMEWORKS if isinstance(comp.get(fw), dict)), None)
    return (f"spec.predictor.{fw}", comp[fw]) if fw else ("spec.predictor.model", {})


def runtime_name(isvc: Any) -> str:
    return str(dig(isvc, "spec", "predictor", "model", "runtime", default=""))


def deployment_mode(isvc: Any, *, has_knative: bool = False, has_raw: bool = False) -> str:
    """The mode the InferenceService runs in: its annotation, its status, else what exists for it."""
    for raw in (annotations_of(isvc).get("serving.kserve.io/deploymentMode"), dig(isvc, "status", "deploymentMode")):
        if raw and str(raw).lower() in _MODES:
            return _MODES[str(raw).lower()]
    if has_raw and not has_knative:
        return RAW
    return SERVERLESS


def component_status(isvc: Any, component: str) -> dict[str, Any]:
    return as_dict(dig(isvc, "status", "components", component))


def ready_condition(isvc: Any) -> dict[str, Any]:
    return condition(isvc, "Ready") or {}


def component_ready_condition(isvc: Any, component: str) -> dict[str, Any]:
    return condition(isvc, f"{component.capitalize()}Ready") or {}


def is_stale(isvc: Any) -> bool:
    """Whether the reported status describes an older spec than the current one."""
    gen, observed = dig(isvc, "metadata", "generation"), dig(isvc, "status", "observedGeneration")
    return isinstance(gen, int) and isinstance(observed, int) and observed < gen


def last_failure(isvc: Any) -> dict[str, Any]:
    return as_dict(dig(isvc, "status", "modelStatus", "lastFailureInfo"))
