"""A small Kubernetes API server that serves scenario bundles over the real REST protocol.

kubectl and the official `kubernetes` client work against it unchanged; it is how kserve-doctor is
tested and demonstrated without a cluster. See `python -m sandbox --help`.
"""

from .bundle import Bundle, BundleError, load
from .server import Sandbox

__all__ = ["Bundle", "BundleError", "Sandbox", "load"]
