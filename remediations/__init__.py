"""Remediators: one module per fix, each turning a finding into a plan of RFC 6902 JSON patches.

Registering one is one line below. Each module's docstring says what it changes; its REMEDIATOR says
which finding codes it fixes, its parameters and the RBAC the service account needs to apply it.
"""

from . import raise_memory_limit, restart_pods, skip_tag_resolution
from .base import Change, Plan, PlanRefused, Reader, Remediator, Suggestion, Target

REMEDIATORS: dict[str, Remediator] = {r.id: r for r in (
    raise_memory_limit.REMEDIATOR,
    skip_tag_resolution.REMEDIATOR,
    restart_pods.REMEDIATOR,
)}

__all__ = ["REMEDIATORS", "Change", "Plan", "PlanRefused", "Reader", "Remediator", "Suggestion", "Target"]
