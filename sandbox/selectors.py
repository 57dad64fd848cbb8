"""Label and field selectors, parsed and matched as apimachinery's `labels` and `fields` packages do.

Label selectors accept the whole grammar (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
`!a`); field selectors accept `=`, `==` and `!=` on the fields a resource supports, and anything else
is the real server's 400 ("field label not supported: ...").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .status import StatusError, bad_request

_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in ("=", "in"):
            return has and labels[self.key] in self.values
        # "!=" and "notin" match objects that lack the key, as the real selector does.
        return not has or labels[self.key] not in self.values


def _split_top_level(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _check_key(key: str, selector: str) -> None:
    if not _KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise bad_request(f"unable to parse requirement: {_invalid_key(key)}")


def _invalid_key(key: str) -> str:
    return (f'values[0][{key}]: Invalid value: "{key}": name part must consist of alphanumeric characters, '
            "'-', '_' or '.', and must start and end with an alphanumeric character")


def _check_value(value: str) -> None:
    if len(value) > 63 or not _VALUE.match(value):
        raise bad_request(
            f'unable to parse requirement: values[0][{value}]: Invalid value: "{value}": a valid label must be '
            "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character")


_SET_OP = re.compile(r"^\s*(\S+?)\s+(in|notin)\s*\((.*)\)\s*$")
_BINARY = re.compile(r"^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$")


def parse_labels(selector: str) -> list[Requirement]:
    reqs: list[Requirement] = []
    if not selector.strip():
        return reqs
    for part in _split_top_level(selector):
        text = part.strip()
        if not text:
            raise bad_request(f"found '', expected: identifier after ','; selector: {selector}")
        if m := _SET_OP.match(text):
            key, op, values = m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]
            _check_key(key, selector)
            for v in values:
                _check_value(v)
            reqs.append(Requirement(key, op, tuple(values)))
        elif m := _BINARY.match(text):
            key, op, value = m.group(1), m.group(2), m.group(3)
            _check_key(key, selector)
            _check_value(value)
            reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
        elif text.startswith("!"):
            _check_key(text[1:].strip(), selector)
            reqs.append(Requirement(text[1:].strip(), "!"))
        else:
            _check_key(text, selector)
            reqs.append(Requirement(text, "exists"))
    return reqs


def labels_match(reqs: Sequence[Requirement], obj: Mapping[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool


def parse_fields(selector: str, supported: tuple[str, ...], group_resource: str) -> list[FieldRequirement]:
    reqs: list[FieldRequirement] = []
    if not selector.strip():
        return reqs
    for part in selector.split(","):
        text = part.strip()
        m = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", text)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{text}'")
        name, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if name not in ("metadata.name", "metadata.namespace") and name not in supported:
            raise bad_request(f'field label not supported: {name}')
        reqs.append(FieldRequirement(name, value, op == "!="))
    return reqs


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string the real server's field set holds for one field label."""
    if path == "source":  # events: source.component
        return str(((obj.get("source") or {}).get("component")) or "")
    if path == "status.podIPs":
        ips = (obj.get("status") or {}).get("podIPs") or []
        return str(ips[0].get("ip", "")) if ips else ""
    cur: Any = obj
    for seg in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(seg)
    if cur is None:
        return "false" if path in ("spec.hostNetwork", "spec.unschedulable") else ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def fields_match(reqs: Sequence[FieldRequirement], obj: Mapping[str, Any]) -> bool:
    for r in reqs:
        equal = field_value(obj, r.field) == r.value
        if equal == r.negate:
            return False
    return True


@dataclass(frozen=True)
class Selection:
    """Both selectors of one request, parsed; callable on an object."""

    labels: tuple[Requirement, ...]
    fields: tuple[FieldRequirement, ...]

    def __call__(self, obj: Mapping[str, Any]) -> bool:
        return labels_match(self.labels, obj) and fields_match(self.fields, obj)

    def label_terms(self) -> list[tuple[str, tuple[str, ...]]]:
        """The `key=value` and `key in (...)` requirements: the only ones a label index can answer."""
        return [(r.key, r.values) for r in self.labels if r.op in ("=", "in")]


def matcher(label_selector: str, field_selector: str, supported: tuple[str, ...],
            group_resource: str) -> Selection:
    """One predicate for both selectors; raises StatusError (400) on a malformed selector."""
    return Selection(tuple(parse_labels(label_selector)),
                     tuple(parse_fields(field_selector, supported, group_resource)))


__all__ = ["FieldRequirement", "Requirement", "Selection", "StatusError", "matcher", "parse_fields", "parse_labels"]
