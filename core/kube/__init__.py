"""Talking to the Kubernetes API server: the official client, typed errors, and what a call costs."""

from .client import Deadline, Kube, Ledger, RetryPolicy, api_client_from
from .errors import KubeError

__all__ = ["Deadline", "Kube", "KubeError", "Ledger", "RetryPolicy", "api_client_from"]
