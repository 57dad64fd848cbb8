"""skip-tag-resolution: let Knative deploy images of one registry without resolving tags to digests.

Changes Knative's `config-deployment` ConfigMap (in the Knative namespace, knative-serving by
default): adds the registry host to `registries-skipping-tag-resolving`, keeping every registry
already listed, comma-separated without spaces. The legacy camelCase key `registriesSkippingTagResolving`
is read too, and the kebab-case key wins when both are set; a new key starts from Knative's default
list (kind.local,ko.local,dev.local). Where the Knative Operator manages the ConfigMap, the patch goes to
the `KnativeServing` resource's `spec.config.deployment` instead, since the operator would revert it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates

from core.kube import errors as kerr
from core.kube import resources as R
from core.objects.fields import as_dict, dig, labels_of, name_of

from .base import Change, Plan, Reader, Remediator, Suggestion, Target
from .patch import PatchBuilder

KEY = "registries-skipping-tag-resolving"
LEGACY_KEY = "registriesSkippingTagResolving"
DEFAULT = "kind.local,ko.local,dev.local"
CONFIG_MAP = "config-deployment"
_HOST = re.compile(r"^(?=.{1,253}(:\d{1,5})?$)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
                   r"(:\d{1,5})?$")


class SkipTagResolutionParams(Schema):
    registry = fields.String(required=True, metadata={
        "description": "the registry host as Knative matches it (index.docker.io for Docker Hub short names), "
                       "with its port when it has one", "example": "123456789012.dkr.ecr.us-west-2.amazonaws.com"})

    @validates("registry")
    def _host(self, value: str, **_: Any) -> None:
        if not _HOST.match(value):
            raise ValidationError("must be a registry host, optionally with a port (no scheme, path or spaces)")


def merged(current: str | None, registry: str) -> tuple[str, bool]:
    """The list with registry added (order kept, no spaces), and whether it was already there."""
    items = [x.strip() for x in (current if current is not None else DEFAULT).split(",") if x.strip()]
    if registry in items:
        return ",".join(items), True
    return ",".join([*items, registry]), False


def _operator(reader: Reader, ns: str, warnings: list[str]) -> dict[str, Any] | None:
    try:
        servings = reader.list(R.KNATIVE_SERVINGS, ns)
    except kerr.NotFound:
        return None  # the Knative Operator is not installed
    except kerr.Forbidden:
        warnings.append("kserve-doctor may not list KnativeServing resources, so it could not check whether the "
                        "Knative Operator manages config-deployment (it would revert a direct edit).")
        return None
    return servings[0] if servings else None


def plan(reader: Reader, t: Target, params: dict[str, Any]) -> Plan:
    registry = params["registry"]
    ns = reader.knative_namespace
    warnings = [
        f"Images from {registry} are then deployed by tag, not pinned by digest: a tag that moves changes what new "
        "pods of an existing revision run.",
        "This changes Knative's configuration for the whole cluster, not only this InferenceService.",
        "A revision that already failed may not be retried on its own: if it stays failed, make a new revision "
        "(the restart-pods remediation, or any change to the component).",
    ]
    ks = _operator(reader, ns, warnings)
    if ks is not None:
        deployment = as_dict(dig(ks, "spec", "config", "deployment"))
        current = deployment.get(KEY, deployment.get(LEGACY_KEY))
        value, present = merged(current, registry)
        resolved = {"registry": registry}
        if present:
            return Plan([], [f"{registry} is already in {KEY} of KnativeServing {name_of(ks)}."], resolved)
        b = PatchBuilder(ks).set(["spec", "config", "deployment", KEY], value)
        warnings.insert(0, f"The Knative Operator manages {CONFIG_MAP} here, so the KnativeServing {name_of(ks)} "
                           "is patched and the operator updates the ConfigMap.")
        return Plan([Change(R.KNATIVE_SERVINGS, ks, b.ops, b.doc)], warnings, resolved)
    cm = reader.get(R.CONFIG_MAPS, ns, CONFIG_MAP)
    data = as_dict(cm.get("data"))
    current = data.get(KEY, data.get(LEGACY_KEY))
    value, present = merged(current, registry)
    if present:
        return Plan([], [f"{registry} is already in {KEY} of {ns}/{CONFIG_MAP}."], {"registry": registry})
    if labels_of(cm).get("app.kubernetes.io/managed-by") == "knative-operator" or any(
            o.get("kind") == "KnativeServing" for o in (dig(cm, "metadata", "ownerReferences") or [])):
        warnings.insert(0, f"{CONFIG_MAP} looks operator-managed but no KnativeServing was found: the operator may "
                           "revert this change.")
    if current is not None and KEY not in data:
        warnings.append(f"The legacy key {LEGACY_KEY} is kept as it is; the new {KEY} (which wins) carries its list.")
    b = PatchBuilder(cm).set(["data", KEY], value)
    return Plan([Change(R.CONFIG_MAPS, cm, b.ops, b.doc)], warnings, {"registry": registry})


def offer(code: str, variant: str, facts: Mapping[str, Any]) -> Suggestion | None:
    """For the registry the failing image names; not when the image does not exist (skipping its resolution
    would only move the failure to the pull), nor when no registry could be read from the message."""
    registry = str(facts["registry"])
    if variant == "not_found" or not _HOST.match(registry):
        return None
    return Suggestion({"registry": registry},
                      f"Skip tag-to-digest resolution for {registry} in Knative's config-deployment")


REMEDIATOR = Remediator(
    id="skip-tag-resolution",
    title="Skip tag-to-digest resolution for a registry",
    changes=f"adds the registry host to {KEY} in Knative's {CONFIG_MAP} ConfigMap (or the KnativeServing resource "
            "when the Knative Operator manages it)",
    fixes=("IMAGE_TAG_RESOLUTION_FAILED",),
    params=SkipTagResolutionParams,
    rbac=({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [CONFIG_MAP], "verbs": ["get", "patch"],
           "namespace": "knative"},
          {"apiGroups": ["operator.knative.dev"], "resources": ["knativeservings"], "verbs": ["get", "list", "patch"],
           "namespace": "knative"}),
    plan=plan,
    offer=offer,
)
