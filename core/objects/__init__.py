"""Pure readers of Kubernetes, KServe and Knative objects as JSON dicts.

Every accessor tolerates a missing or malformed field and answers a neutral value instead of raising:
real clusters hold objects of every version, half-reconciled, and a diagnosis must not fail because
a status field is absent.
"""
