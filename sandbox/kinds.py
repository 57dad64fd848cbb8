"""The resource types the sandbox serves, and how each is named on the wire.

A real API server learns its types from compiled-in schemes and from CustomResourceDefinitions. The
sandbox has neither, so it carries a table of the kinds that KServe, Knative, Istio and core
Kubernetes clusters hold (with the plural, short names and scope that `kubectl` relies on), takes
more from any CRD found in a bundle, and derives the rest from the objects themselves the way
`kubectl` guesses a plural. An object is stored once per group and resource; every version of its
group serves it, as CRDs without a conversion webhook are served.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One resource of one group, served under one or more versions."""

    group: str
    versions: tuple[str, ...]
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)
    verbs: tuple[str, ...] = ALL_VERBS
    builtin: bool = True
    # Kind-specific field selectors beyond metadata.name / metadata.namespace, as the real
    # server's field label conversion functions accept them.
    fields: tuple[str, ...] = ()
    schemas: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_resource(self) -> str:
        """`pods`, `inferenceservices.serving.kserve.io`: the name errors use."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_kind(self) -> str:
        """`Pod`, `InferenceService.serving.kserve.io`: the name Invalid errors use."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    def api_version(self, version: str | None = None) -> str:
        v = version or self.versions[0]
        return f"{self.group}/{v}" if self.group else v


_POD_FIELDS = (
    "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
    "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
)
_EVENT_FIELDS = (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type",
)


def _t(group: str, versions: str, kind: str, plural: str, namespaced: bool = True, short: str = "",
       **kw: Any) -> ResourceType:
    return ResourceType(group, tuple(versions.split(",")), kind, plural, namespaced,
                        tuple(s for s in short.split(",") if s), **kw)


BUILTIN: tuple[ResourceType, ...] = (
    # core/v1
    _t("", "v1", "Pod", "pods", short="po", categories=("all",), subresources=("status", "log"),
       fields=_POD_FIELDS),
    _t("", "v1", "Service", "services", short="svc", categories=("all",)),
    _t("", "v1", "Event", "events", short="ev", subresources=(), fields=_EVENT_FIELDS),
    _t("", "v1", "Namespace", "namespaces", namespaced=False, short="ns", fields=("status.phase",)),
    _t("", "v1", "ConfigMap", "configmaps", short="cm", subresources=()),
    _t("", "v1", "Secret", "secrets", subresources=(), fields=("type",)),
    _t("", "v1", "Node", "nodes", namespaced=False, short="no", fields=("spec.unschedulable",)),
    _t("", "v1", "ServiceAccount", "serviceaccounts", short="sa", subresources=()),
    _t("", "v1", "ResourceQuota", "resourcequotas", short="quota"),
    _t("", "v1", "LimitRange", "limitranges", short="limits", subresources=()),
    _t("", "v1", "Endpoints", "endpoints", short="ep", subresources=()),
    _t("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short="pvc"),
    _t("", "v1", "PersistentVolume", "persistentvolumes", namespaced=False, short="pv"),
    # apps, autoscaling, networking, policy, batch
    _t("apps", "v1", "Deployment", "deployments", short="deploy", categories=("all",)),
    _t("apps", "v1", "ReplicaSet", "replicasets", short="rs", categories=("all",),
       fields=("status.replicas",)),
    _t("apps", "v1", "StatefulSet", "statefulsets", short="sts", categories=("all",)),
    _t("apps", "v1", "DaemonSet", "daemonsets", short="ds", categories=("all",)),
    _t("autoscaling", "v2,v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short="hpa",
       categories=("all",)),
    _t("networking.k8s.io", "v1", "Ingress", "ingresses", short="ing"),
    _t("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False, subresources=()),
    _t("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short="netpol", subresources=()),
    _t("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short="pdb"),
    _t("batch", "v1", "Job", "jobs", categories=("all",), fields=("status.successful",)),
    _t("events.k8s.io", "v1", "Event", "events", short="ev", subresources=()),
    _t("coordination.k8s.io", "v1", "Lease", "leases", subresources=()),
    # RBAC and the review APIs (create-only, answered by the sandbox's authenticator/authorizer)
    _t("rbac.authorization.k8s.io", "v1", "Role", "roles", subresources=()),
    _t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", subresources=()),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False, subresources=()),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False,
       subresources=()),
    _t("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", namespaced=False, subresources=(),
       verbs=("create",)),
    _t("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", namespaced=False,
       subresources=(), verbs=("create",)),
    _t("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
       namespaced=False, subresources=(), verbs=("create",)),
    _t("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews",
       subresources=(), verbs=("create",)),
    _t("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
       namespaced=False, short="crd,crds", categories=("api-extensions",)),
    # KServe
    _t("serving.kserve.io", "v1beta1", "InferenceService", "inferenceservices", short="isvc",
       categories=("all",), builtin=False),
    _t("serving.kserve.io", "v1alpha1", "ServingRuntime", "servingruntimes", categories=("all",),
       builtin=False),
    _t("serving.kserve.io", "v1alpha1", "ClusterServingRuntime", "clusterservingruntimes",
       namespaced=False, categories=("all",), builtin=False),
    _t("serving.kserve.io", "v1alpha1", "InferenceGraph", "inferencegraphs", short="ig",
       categories=("all",), builtin=False),
    _t("serving.kserve.io", "v1alpha1", "TrainedModel", "trainedmodels", short="tm", categories=("all",),
       builtin=False),
    _t("serving.kserve.io", "v1alpha1", "ClusterStorageContainer", "clusterstoragecontainers",
       namespaced=False, builtin=False),
    # Knative Serving
    _t("serving.knative.dev", "v1", "Service", "services", short="kservice,ksvc",
       categories=("all", "knative", "serving"), builtin=False),
    _t("serving.knative.dev", "v1", "Configuration", "configurations", short="config,cfg",
       categories=("all", "knative", "serving"), builtin=False),
    _t("serving.knative.dev", "v1", "Revision", "revisions", short="rev",
       categories=("all", "knative", "serving"), builtin=False),
    _t("serving.knative.dev", "v1", "Route", "routes", short="rt",
       categories=("all", "knative", "serving"), builtin=False),
    _t("networking.internal.knative.dev", "v1alpha1", "Ingress", "ingresses", short="kingress,king",
       categories=("knative-internal", "networking"), builtin=False),
    _t("networking.internal.knative.dev", "v1alpha1", "ServerlessService", "serverlessservices",
       short="sks", categories=("knative-internal", "networking"), builtin=False),
    _t("networking.internal.knative.dev", "v1alpha1", "Certificate", "certificates", short="kcert",
       categories=("knative-internal", "networking"), builtin=False),
    _t("autoscaling.internal.knative.dev", "v1alpha1", "PodAutoscaler", "podautoscalers", short="kpa,pa",
       categories=("knative-internal", "autoscaling"), builtin=False),
    _t("operator.knative.dev", "v1beta1,v1alpha1", "KnativeServing", "knativeservings", short="ks",
       categories=("all", "knative"), builtin=False),
    # Istio
    _t("networking.istio.io", "v1beta1,v1,v1alpha3", "VirtualService", "virtualservices", short="vs",
       categories=("istio-io", "networking-istio-io"), builtin=False),
    _t("networking.istio.io", "v1beta1,v1,v1alpha3", "Gateway", "gateways", short="gw",
       categories=("istio-io", "networking-istio-io"), builtin=False),
    _t("networking.istio.io", "v1beta1,v1,v1alpha3", "DestinationRule", "destinationrules", short="dr",
       categories=("istio-io", "networking-istio-io"), builtin=False),
    _t("networking.istio.io", "v1beta1,v1,v1alpha3", "ServiceEntry", "serviceentries", short="se",
       categories=("istio-io", "networking-istio-io"), builtin=False),
    _t("security.istio.io", "v1beta1,v1", "AuthorizationPolicy", "authorizationpolicies", short="ap",
       categories=("istio-io", "security-istio-io"), builtin=False),
    _t("security.istio.io", "v1beta1,v1", "PeerAuthentication", "peerauthentications", short="pa",
       categories=("istio-io", "security-istio-io"), builtin=False),
    _t("security.istio.io", "v1beta1,v1", "RequestAuthentication", "requestauthentications", short="ra",
       categories=("istio-io", "security-istio-io"), builtin=False),
    # Prometheus Operator
    _t("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", short="smon", builtin=False),
)


def guess_plural(kind: str) -> str:
    """The plural `kubectl` would guess for a kind it has never seen (meta.UnsafeGuessKindToResource)."""
    k = kind.lower()
    if k.endswith(("s", "x", "ch", "sh")):
        return k + "es"
    if k.endswith("y") and len(k) > 1 and k[-2] not in "aeiou":
        return k[:-1] + "ies"
    return k + "s"


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class Registry:
    """Every resource type served, indexed the ways requests name them."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN) -> None:
        self._by_key: dict[tuple[str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str], ResourceType] = {}
        for t in types:
            self.add(t)

    def add(self, t: ResourceType) -> None:
        old = self._by_key.get(t.key)
        if old is not None:
            versions = tuple(dict.fromkeys(old.versions + t.versions))
            t = ResourceType(t.group, versions, t.kind, t.plural, t.namespaced, t.short_names or old.short_names,
                             t.categories or old.categories, t.subresources, t.verbs, t.builtin,
                             t.fields or old.fields, {**old.schemas, **t.schemas})
        self._by_key[t.key] = t
        self._by_kind[(t.group, t.kind)] = t

    def add_crd(self, crd: Mapping[str, Any]) -> None:
        """Serve the kind a CustomResourceDefinition declares, with its per-version schemas."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
        if not names.get("kind") or not names.get("plural") or not versions:
            return
        subresources: list[str] = []
        for v in versions:
            subresources.extend((v.get("subresources") or {}).keys())
        schemas = {v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") for v in versions
                   if (v.get("schema") or {}).get("openAPIV3Schema")}
        self.add(ResourceType(
            group=spec.get("group", ""), versions=tuple(v["name"] for v in versions), kind=names["kind"],
            plural=names["plural"], namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            subresources=tuple(dict.fromkeys(subresources)), builtin=False, schemas=schemas,
        ))

    def for_object(self, obj: Mapping[str, Any]) -> ResourceType:
        """The type of a bundle object, registering a guessed one for kinds the table lacks."""
        group, version = split_api_version(obj["apiVersion"])
        t = self._by_kind.get((group, obj["kind"]))
        if t is None:
            t = ResourceType(group, (version,), obj["kind"], guess_plural(obj["kind"]),
                             namespaced=bool((obj.get("metadata") or {}).get("namespace")), builtin=False)
            self.add(t)
        elif version not in t.versions:
            self.add(ResourceType(t.group, (version,), t.kind, t.plural, t.namespaced, builtin=t.builtin))
        return self._by_kind[(group, obj["kind"])]

    def keep_only_declared_custom(self, keep: set[tuple[str, str]]) -> None:
        """Serve custom resources only where a CRD (or a stored object) declares them.

        A bundle that carries CustomResourceDefinitions describes which APIs its cluster has: a
        cluster without Knative answers 404 for Knative's resources, and so must the sandbox.
        """
        for key, t in list(self._by_key.items()):
            if not t.builtin and key not in keep:
                del self._by_key[key]
                self._by_kind.pop((t.group, t.kind), None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        t = self._by_key.get((group, plural))
        return t if t is not None and version in t.versions else None

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((group, kind))

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Group name -> served versions, preferred first."""
        out: dict[str, list[str]] = {}
        for t in self._by_key.values():
            vs = out.setdefault(t.group, [])
            vs.extend(v for v in t.versions if v not in vs)
        return {g: tuple(vs) for g, vs in sorted(out.items())}

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return sorted((t for t in self._by_key.values() if t.group == group and version in t.versions),
                      key=lambda t: t.plural)

    def all(self) -> list[ResourceType]:
        return list(self._by_key.values())
