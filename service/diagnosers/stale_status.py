"""STATUS_STALE: the InferenceService's status was written for an older generation of its spec.

Reads: metadata.generation and status.observedGeneration of the InferenceService.
"""

from __future__ import annotations

from core.objects import inference_service as isvclib
from core.objects.fields import dig

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence.needs import Reads
from ..evidence.snapshot import Snapshot

READS: tuple[Reads, ...] = ()



def diagnose(s: Snapshot) -> list[Finding]:
    if not isvclib.is_stale(s.target):
        return []
    gen, observed = dig(s.target, "metadata", "generation"), dig(s.target, "status", "observedGeneration")
    evidence = [build.declared(s.target, "metadata.generation", gen),
                build.reported(s.target, "status.observedGeneration", observed),
                build.condition(s.target, "Ready", "describes the older spec")]
    return [build.make("STATUS_STALE", "service", {"generation": gen, "observed": observed}, evidence, obj=s.target)]
