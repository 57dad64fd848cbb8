"""The resources kserve-doctor reads or writes, named once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    # snake_case name in CoreV1Api's method names (list_namespaced_<core>), for the core group
    core: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        """`pods`, `inferenceservices.serving.kserve.io`: how errors and metrics name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


INFERENCE_SERVICES = Resource("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService")
SERVING_RUNTIMES = Resource("serving.kserve.io", "v1alpha1", "servingruntimes", "ServingRuntime")
CLUSTER_SERVING_RUNTIMES = Resource("serving.kserve.io", "v1alpha1", "clusterservingruntimes",
                                    "ClusterServingRuntime", namespaced=False)
KNATIVE_SERVICES = Resource("serving.knative.dev", "v1", "services", "Service")
REVISIONS = Resource("serving.knative.dev", "v1", "revisions", "Revision")
KNATIVE_INGRESSES = Resource("networking.internal.knative.dev", "v1alpha1", "ingresses", "Ingress")
KNATIVE_SERVINGS = Resource("operator.knative.dev", "v1beta1", "knativeservings", "KnativeServing")
VIRTUAL_SERVICES = Resource("networking.istio.io", "v1beta1", "virtualservices", "VirtualService")
AUTHORIZATION_POLICIES = Resource("security.istio.io", "v1beta1", "authorizationpolicies", "AuthorizationPolicy")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
INGRESSES = Resource("networking.k8s.io", "v1", "ingresses", "Ingress")
PODS = Resource("", "v1", "pods", "Pod", core="pod")
EVENTS = Resource("", "v1", "events", "Event", core="event")
SERVICES = Resource("", "v1", "services", "Service", core="service")
CONFIG_MAPS = Resource("", "v1", "configmaps", "ConfigMap", core="config_map")
RESOURCE_QUOTAS = Resource("", "v1", "resourcequotas", "ResourceQuota", core="resource_quota")
LIMIT_RANGES = Resource("", "v1", "limitranges", "LimitRange", core="limit_range")
NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False, core="namespace")

BY_KIND: dict[tuple[str, str], Resource] = {
    (r.api_version, r.kind): r for r in (
        INFERENCE_SERVICES, SERVING_RUNTIMES, CLUSTER_SERVING_RUNTIMES, KNATIVE_SERVICES, REVISIONS,
        KNATIVE_INGRESSES, KNATIVE_SERVINGS, VIRTUAL_SERVICES, AUTHORIZATION_POLICIES, DEPLOYMENTS, INGRESSES,
        PODS, EVENTS, SERVICES, CONFIG_MAPS, RESOURCE_QUOTAS, LIMIT_RANGES, NAMESPACES)
}
