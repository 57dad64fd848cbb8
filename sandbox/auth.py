"""Who is calling, and may they: bearer tokens, RBAC, TokenReview and SubjectAccessReview.

Authentication knows two kinds of token: the one in the kubeconfig the sandbox writes, which is a
member of `system:masters`, and those a bundle's `users.yaml` declares. Authorization evaluates the
Role, ClusterRole, RoleBinding and ClusterRoleBinding objects currently stored, the way the real RBAC
authorizer does (union of rules, `*` wildcards, `resource/subresource`, `resourceNames`, aggregated
ClusterRoles), plus the bootstrap policy every cluster has (discovery and self-reviews for every
authenticated user). Denials carry the real server's wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .kinds import Registry
from .selectors import labels_match, parse_labels
from .store import Store

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"

DISCOVERY_PATHS = ("/api", "/api/*", "/apis", "/apis/*", "/version", "/version/", "/openapi", "/openapi/*",
                   "/healthz", "/livez", "/readyz")


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Attributes:
    """authorizer.Attributes: what a request wants to do."""

    user: User
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


class Authenticator:
    def __init__(self, admin_token: str, users: Iterable[Mapping[str, Any]]) -> None:
        self._tokens: dict[str, User] = {
            admin_token: User("sandbox-admin", (MASTERS, AUTHENTICATED), uid="sandbox-admin"),
        }
        for u in users:
            groups = tuple(dict.fromkeys([*(u.get("groups") or []), AUTHENTICATED]))
            name = str(u["user"])
            if name.startswith("system:serviceaccount:"):
                ns = name.split(":")[2]
                groups = tuple(dict.fromkeys([*groups, "system:serviceaccounts", f"system:serviceaccounts:{ns}"]))
            self._tokens[str(u["token"])] = User(name, groups, uid=str(u.get("uid", name)))

    def authenticate(self, token: str | None) -> User | None:
        return self._tokens.get(token or "") if token else None


def _matches(values: Iterable[str], wanted: str) -> bool:
    vs = list(values or [])
    return "*" in vs or wanted in vs


def _resource_matches(rule_resources: Iterable[str], resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for r in rule_resources or []:
        if r in ("*", combined):
            return True
        if subresource and r == f"*/{subresource}":
            return True
    return False


def _path_matches(rule_paths: Iterable[str], path: str) -> bool:
    return any(p == "*" or p == path or (p.endswith("*") and path.startswith(p[:-1])) for p in rule_paths or [])


def rule_allows(rule: Mapping[str, Any], a: Attributes) -> bool:
    if not _matches(rule.get("verbs") or [], a.verb):
        return False
    if not a.resource_request:
        return _path_matches(rule.get("nonResourceURLs") or [], a.path)
    if not _matches(rule.get("apiGroups") or [], a.group):
        return False
    if not _resource_matches(rule.get("resources") or [], a.resource, a.subresource):
        return False
    names = rule.get("resourceNames") or []
    return not names or a.name in names


def _subject_matches(subject: Mapping[str, Any], user: User, binding_ns: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return user.name == f"system:serviceaccount:{ns}:{name}"
    return False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


class Authorizer:
    def __init__(self, store: Store, registry: Registry) -> None:
        self._store = store
        self._registry = registry

    def _type(self, kind: str) -> Any:
        return self._registry.by_kind("rbac.authorization.k8s.io", kind)

    def _cluster_role_rules(self, name: str) -> list[Mapping[str, Any]]:
        t = self._type("ClusterRole")
        role = self._store.get(t, "", name)
        if role is None:
            return []
        rules = list(role.get("rules") or [])
        agg = role.get("aggregationRule") or {}
        for sel in agg.get("clusterRoleSelectors") or []:
            reqs = parse_labels(",".join(
                [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
                + [_expr(e) for e in sel.get("matchExpressions") or []]))
            _, others = self._store.list(t, None, lambda o, reqs=reqs: labels_match(reqs, o))
            for other in others:
                if other["metadata"]["name"] != name:
                    rules.extend(other.get("rules") or [])
        return rules

    def _role_rules(self, ref: Mapping[str, Any], namespace: str) -> list[Mapping[str, Any]]:
        if ref.get("kind") == "ClusterRole":
            return self._cluster_role_rules(str(ref.get("name")))
        role = self._store.get(self._type("Role"), namespace, str(ref.get("name")))
        return list((role or {}).get("rules") or [])

    def authorize(self, a: Attributes) -> Decision:
        if MASTERS in a.user.groups:
            return Decision(True, "")
        if AUTHENTICATED in a.user.groups and self._bootstrap_allows(a):
            return Decision(True, 'RBAC: allowed by ClusterRoleBinding "system:discovery"')
        _, crbs = self._store.list(self._type("ClusterRoleBinding"), None)
        for b in crbs:
            subjects = b.get("subjects") or []
            if any(_subject_matches(s, a.user, "") for s in subjects) and any(
                    rule_allows(r, a) for r in self._role_rules(b.get("roleRef") or {}, "")):
                return Decision(True, f'RBAC: allowed by ClusterRoleBinding "{b["metadata"]["name"]}" of '
                                      f'ClusterRole "{(b.get("roleRef") or {}).get("name")}" to '
                                      f'{_subject_kind(a.user)} "{a.user.name}"')
        if a.namespace:
            _, rbs = self._store.list(self._type("RoleBinding"), a.namespace)
            for b in rbs:
                if any(_subject_matches(s, a.user, a.namespace) for s in b.get("subjects") or []):
                    ref = b.get("roleRef") or {}
                    if any(rule_allows(r, a) for r in self._role_rules(ref, a.namespace)):
                        return Decision(True, f'RBAC: allowed by RoleBinding "{b["metadata"]["name"]}/'
                                              f'{a.namespace}" of {ref.get("kind")} "{ref.get("name")}" to '
                                              f'{_subject_kind(a.user)} "{a.user.name}"')
        return Decision(False, "")

    @staticmethod
    def _bootstrap_allows(a: Attributes) -> bool:
        if not a.resource_request:
            return a.verb == "get" and _path_matches(DISCOVERY_PATHS, a.path)
        return a.verb == "create" and a.group == "authorization.k8s.io" and a.resource in (
            "selfsubjectaccessreviews", "selfsubjectrulesreviews")


def _subject_kind(user: User) -> str:
    return "ServiceAccount" if user.name.startswith("system:serviceaccount:") else "User"


def _expr(e: Mapping[str, Any]) -> str:
    op = {"In": "in", "NotIn": "notin"}.get(str(e.get("operator")))
    if op:
        return f"{e['key']} {op} ({','.join(e.get('values') or [])})"
    return str(e["key"]) if e.get("operator") == "Exists" else f"!{e['key']}"


def forbidden_reason(a: Attributes) -> str:
    """responsewriters.forbiddenMessage: the sentence after `is forbidden: `."""
    if not a.resource_request:
        return f'User "{a.user.name}" cannot {a.verb} path "{a.path}"'
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    if a.namespace:
        return (f'User "{a.user.name}" cannot {a.verb} resource "{resource}" in API group "{a.group}" '
                f'in the namespace "{a.namespace}"')
    return f'User "{a.user.name}" cannot {a.verb} resource "{resource}" in API group "{a.group}" at the cluster scope'
