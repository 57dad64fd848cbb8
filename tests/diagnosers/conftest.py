"""Diagnosers one at a time, on the bundles of their failure class: what `diagnose(snapshot)` alone returns.

Snapshots come from sandbox.offline: the snapshot the service would gather (tests/sandbox/test_offline.py
proves it equal to the one gathered over HTTP), read once per bundle and test worker. The engine's rules
(suppression, the severity of a service that still serves, the fallback, the offers) are left out: what a
diagnoser finds on its own is its story, told by its test module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from sandbox import offline
from service.diagnosis.finding import Evidence, Finding
from service.evidence.snapshot import Snapshot
from tests.conftest import SCENARIOS


def bundles_of(*classes: str) -> list[Path]:
    """The bundles of these failure classes (scenarios/<class>/*), by name."""
    return sorted((p.parent for c in classes for p in SCENARIOS.glob(f"{c}/*/expect.yaml")), key=lambda b: b.name)


def bundle(failure_class: str, name: str) -> Path:
    path = SCENARIOS / failure_class / name
    assert (path / "expect.yaml").is_file(), path
    return path


def name(b: Path) -> str:
    return b.name


HEALTHY = bundles_of("healthy")


@cache
def snapshot(b: Path) -> Snapshot:
    return offline.snapshot(b)


def one(findings: Sequence[Finding]) -> Finding:
    assert len(findings) == 1, [(f.code, f.component) for f in findings]
    return findings[0]


def named(b: Path, table: Iterable[str]) -> None:
    """A bundle of the class without a row in the module's table is a story not told yet."""
    assert b.name in set(table), f"{b.name}: add its row to the table of this test module"


def of_kind(f: Finding, kind: str) -> list[Evidence]:
    return [e for e in f.evidence if e.object.kind == kind]


def logs(f: Finding) -> list[Evidence]:
    return [e for e in f.evidence if e.log is not None]


def log_text(f: Finding) -> str:
    return "\n".join(line for e in logs(f) for line in e.log.lines)  # type: ignore[union-attr]
