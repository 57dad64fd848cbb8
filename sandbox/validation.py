"""What the sandbox refuses to store, so that a server-side dry run means something.

The real API server validates every write before admission lets it through: object metadata
(names), a custom resource against the `openAPIV3Schema` of its CustomResourceDefinition, and for
built-in kinds their Go validation. The sandbox carries the part of that which the remediations can
break: names, CRD schemas when the bundle holds the CRD, and resource quantities anywhere in a pod
template (quantities must parse; a request must not exceed its limit). A violation is the real
server's 422 `Invalid` with one cause per field (or, for a quantity that does not even decode in a
built-in kind, its 400).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
from kubernetes.utils import parse_quantity

from .kinds import ResourceType
from .status import FieldError, StatusError, bad_request, invalid

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUANTITY_REGEX = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"


def quantity(value: Any) -> Decimal | None:
    try:
        return parse_quantity(value)
    except (ValueError, TypeError, ArithmeticError):
        return None


def _resource_blocks(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `resources: {limits, requests}` in a spec, with its field path."""
    if isinstance(node, dict):
        res = node.get("resources")
        if isinstance(res, dict) and ("limits" in res or "requests" in res):
            yield (f"{path}.resources" if path else "resources"), res
        for k, v in node.items():
            if k in ("status", "metadata") and not path:
                continue
            yield from _resource_blocks(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _resource_blocks(v, f"{path}[{i}]")


def _format_quantity(q: Decimal) -> str:
    """A canonical-enough rendering of a quantity for error messages (1Gi, 512Mi, 500m, 2)."""
    for suffix, factor in (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if q >= factor and q % factor == 0:
            return f"{q // factor}{suffix}"
    if q == q.to_integral_value():
        return str(int(q))
    return f"{int(q * 1000)}m"


def resource_errors(obj: dict[str, Any], builtin: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    for path, res in _resource_blocks(obj, ""):
        parsed: dict[str, dict[str, Decimal]] = {}
        for part in ("limits", "requests"):
            values = res.get(part)
            if values is None:
                continue
            if not isinstance(values, dict):
                errors.append(FieldError("FieldValueTypeInvalid", f"{path}.{part}", "must be an object", values))
                continue
            for name, raw in values.items():
                q = quantity(raw)
                if q is None:
                    if builtin:
                        raise bad_request(f"quantities must match the regular expression '{QUANTITY_REGEX}'")
                    errors.append(FieldError("FieldValueInvalid", f"{path}.{part}[{name}]",
                                             f"must match the regular expression '{QUANTITY_REGEX}'", str(raw)))
                    continue
                if q < 0:
                    errors.append(FieldError("FieldValueInvalid", f"{path}.{part}[{name}]",
                                             "must be greater than or equal to 0", str(raw)))
                parsed.setdefault(part, {})[name] = q
        for name, req in parsed.get("requests", {}).items():
            lim = parsed.get("limits", {}).get(name)
            if lim is not None and req > lim:
                errors.append(FieldError(
                    "FieldValueInvalid", f"{path}.requests[{name}]",
                    f"must be less than or equal to {name} limit of {res['limits'][name]}",
                    str(res["requests"][name])))
    return errors


def _schema_for_jsonschema(schema: Any) -> Any:
    """openAPIV3Schema -> JSON Schema: drop Kubernetes extensions, honour int-or-string."""
    if isinstance(schema, dict):
        out = {k: _schema_for_jsonschema(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
        if schema.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
            out.pop("additionalProperties", None)
        return out
    if isinstance(schema, list):
        return [_schema_for_jsonschema(v) for v in schema]
    return schema


def _jsonpath(error: jsonschema.ValidationError) -> str:
    out = ""
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_errors(t: ResourceType, version: str, obj: dict[str, Any]) -> list[FieldError]:
    schema = t.schemas.get(version)
    if not schema:
        return []
    validator = jsonschema.Draft7Validator(_schema_for_jsonschema(schema))
    errors = []
    for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
        path = _jsonpath(e)
        if path.startswith(("metadata", "apiVersion", "kind")):
            continue
        if e.validator == "required":
            missing = str(e.message).split("'")[1] if "'" in str(e.message) else ""
            errors.append(FieldError("FieldValueRequired", f"{path}.{missing}" if path else missing, ""))
        elif e.validator == "type":
            errors.append(FieldError("FieldValueTypeInvalid", path,
                                     f"{path} in body must be of type {e.validator_value}", e.instance))
        elif e.validator == "enum":
            errors.append(FieldError("FieldValueNotSupported", path,
                                     "supported values: " + ", ".join(f'"{v}"' for v in e.validator_value),
                                     e.instance))
        elif e.validator == "pattern":
            errors.append(FieldError("FieldValueInvalid", path,
                                     f"{path} in body should match '{e.validator_value}'", e.instance))
        else:
            errors.append(FieldError("FieldValueInvalid", path, e.message, e.instance))
    return errors


def validate(t: ResourceType, version: str, obj: dict[str, Any]) -> None:
    """Raise the real server's Status for an object it would not store."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    errors: list[FieldError] = []
    if not name:
        errors.append(FieldError("FieldValueRequired", "metadata.name", "name or generateName is required"))
    elif len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        errors.append(FieldError(
            "FieldValueInvalid", "metadata.name",
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
            "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", name))
    if t.kind not in ("Event", "ConfigMap", "Secret"):
        errors.extend(resource_errors(obj, t.builtin))
    errors.extend(schema_errors(t, version, obj))
    if errors:
        raise invalid(t.group_kind, name, errors)


__all__ = ["QUANTITY_REGEX", "StatusError", "quantity", "validate"]
