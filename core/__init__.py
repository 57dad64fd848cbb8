"""What the service and the remediators both stand on, and which imports nothing of the project above it.

`core.kube` reads and writes the cluster through the official client (typed errors mirroring the
Kubernetes Status, selectors, the resources kserve-doctor uses); `core.objects` reads KServe, Knative
and pod objects (conditions, components, containers, names); `core.quantities` parses and prints
Kubernetes quantities.
"""
