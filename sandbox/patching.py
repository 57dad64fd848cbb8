"""The three patch types kubectl sends, applied to a copy of the stored object.

JSON patch (RFC 6902) is applied by the `jsonpatch` library; a patch that cannot be applied (a
failed `test` included) becomes the real server's 422 with evanphx/json-patch's wording. Merge patch
is RFC 7386. Strategic merge patch follows apimachinery's strategicpatch for what kubectl label,
annotate, patch and rollout restart send: lists of known kinds merge by their patch merge key, the
`$patch`, `$retainKeys`, `$deleteFromPrimitiveList` and `$setElementOrder` directives are honoured
or dropped as the real server does.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import jsonpointer

from .status import StatusError, bad_request, unprocessable

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# The patch merge keys of core/apps types (x-kubernetes-patch-merge-key in their OpenAPI schema).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}


def apply_json_patch(doc: dict[str, Any], body: bytes) -> dict[str, Any]:
    try:
        ops = json.loads(body or b"null")
    except ValueError as e:
        raise bad_request(f"invalid character in patch: {e}") from e
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace", "move", "copy", "test"):
            raise unprocessable(f"Unexpected kind: {op.get('op') if isinstance(op, dict) else op}")
    result = copy.deepcopy(doc)
    for op in ops:
        try:
            result = jsonpatch.JsonPatch([op]).apply(result, in_place=True)
        except jsonpatch.JsonPatchTestFailed as e:
            raise unprocessable(f"testing value {op.get('path')} failed: test failed") from e
        except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException, jsonpatch.InvalidJsonPatch,
                KeyError, IndexError, TypeError) as e:
            verb = op["op"]
            if verb == "test":
                raise unprocessable(f"testing value {op.get('path')} failed: test failed") from e
            raise unprocessable(f"{verb} operation does not apply: doc is missing path: "
                                f"\"{op.get('path')}\": missing value") from e
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, null deletes, everything else (lists included) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items()
                if not k.startswith("$setElementOrder/") and not k.startswith("$deleteFromPrimitiveList/")
                and k not in ("$patch", "$retainKeys")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
        if patch.get("$patch") == "delete":
            return None
        out = dict(target) if isinstance(target, dict) else {}
        retain = patch.get("$retainKeys")
        for k, v in patch.items():
            if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
                continue
            if k.startswith("$deleteFromPrimitiveList/"):
                name = k.split("/", 1)[1]
                if isinstance(out.get(name), list):
                    out[name] = [x for x in out[name] if x not in (v or [])]
                continue
            if v is None:
                out.pop(k, None)
            else:
                merged = strategic_merge(out.get(k), v, k)
                if merged is None:
                    out.pop(k, None)
                else:
                    out[k] = merged
        if isinstance(retain, list):
            out = {k: v for k, v in out.items() if k in retain}
        return out
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(target, list):
        key = MERGE_KEYS[field]
        out = [copy.deepcopy(x) for x in target]
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                continue
            idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == item[key]), None)
            if item.get("$patch") == "delete":
                if idx is not None:
                    out.pop(idx)
                continue
            if idx is None:
                out.append(_strip_directives(item))
            else:
                out[idx] = strategic_merge(out[idx], item)
        return out
    return _strip_directives(copy.deepcopy(patch))


def apply_patch(content_type: str, doc: dict[str, Any], body: bytes, builtin: bool) -> dict[str, Any]:
    """The patched copy of doc; raises StatusError as the real server would."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == JSON_PATCH:
        return apply_json_patch(doc, body)
    if ctype in (MERGE_PATCH, STRATEGIC_MERGE_PATCH):
        if ctype == STRATEGIC_MERGE_PATCH and not builtin:
            # Custom resources have no Go struct to carry patch strategies, so the real server refuses.
            raise StatusError(415, "UnsupportedMediaType",
                              "the body of the request was in an unknown format - accepted media types include: "
                              f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}")
        try:
            patch = json.loads(body or b"null")
        except ValueError as e:
            raise bad_request(f"error decoding patch: {e}") from e
        if not isinstance(patch, dict):
            raise bad_request("Unable to unmarshal the patch: the patch must be a JSON object")
        if ctype == MERGE_PATCH:
            return merge_patch(doc, patch)
        return strategic_merge(doc, patch)
    accepted = [JSON_PATCH, MERGE_PATCH] + ([STRATEGIC_MERGE_PATCH] if builtin else []) + [APPLY_PATCH]
    raise StatusError(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - accepted media types include: "
                      + ", ".join(accepted))
