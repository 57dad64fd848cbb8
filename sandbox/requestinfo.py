"""What a URL asks for: apiserver's RequestInfoResolver, for the paths clients send."""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class RequestInfo:
    resource_request: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""

    def as_match(self, user: str) -> dict[str, str]:
        return {"verb": self.verb, "resource": self.resource, "group": self.group,
                "subresource": self.subresource, "namespace": self.namespace, "name": self.name,
                "user": user, "path": self.path}


_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "GET": "get",
                 "HEAD": "get"}


def resolve(method: str, path: str, watch: bool) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(False, path, verb=method.lower())
    if parts[0] == "api":
        if len(parts) < 3:
            return RequestInfo(False, path, verb=method.lower())
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return RequestInfo(False, path, verb=method.lower())
        group, version, rest = parts[1], parts[2], parts[3:]
    legacy_watch = False
    if rest and rest[0] == "watch":  # /api/v1/watch/namespaces/... (deprecated form)
        legacy_watch, rest = True, rest[1:]
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in NAMESPACE_SUBRESOURCES):
        namespace, rest = rest[1], rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if resource == "namespaces" and name and not namespace:
        namespace = name
    verb = _METHOD_VERBS.get(method, method.lower())
    if method in ("GET", "HEAD") and not name:
        verb = "watch" if (watch or legacy_watch) else "list"
    elif method in ("GET", "HEAD") and (watch or legacy_watch):
        verb = "watch"
    elif method == "DELETE" and not name:
        verb = "deletecollection"
    return RequestInfo(True, path, verb, group, version, namespace, resource, name, subresource)
