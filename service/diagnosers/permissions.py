"""INSUFFICIENT_PERMISSIONS: kserve-doctor itself was refused (403) reading what it needed.

Reads: only the snapshot's read errors; one finding per resource that was refused.
"""

from __future__ import annotations

from ..diagnosis import build
from ..diagnosis.finding import Evidence, Finding, ObjectRef
from ..evidence.needs import Reads
from ..evidence.snapshot import Snapshot

READS: tuple[Reads, ...] = ()  # the read errors of the other reads are its evidence



def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    seen: set[str] = set()
    for e in s.errors:
        if e.code != 403 or e.resource in seen:
            continue
        seen.add(e.resource)
        args = {"resource": e.resource, "what": e.what, "message": e.message}
        evidence = [Evidence("observed", ObjectRef("Status", e.resource, s.namespace), "code", 403, note=e.message)]
        findings.append(build.make("INSUFFICIENT_PERMISSIONS", "service", args, evidence))
    return findings
