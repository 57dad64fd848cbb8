"""The benchmarks' crowd generator: a bundle the sandbox loads, with the requested counts, the source untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchmarks.generate import crowd
from sandbox.bundle import load
from sandbox.server import Sandbox
from tests.conftest import SCENARIOS, expectation

SOURCE = SCENARIOS / "oom" / "transformer-oom-at-startup"
LABEL = "serving.kserve.io/inferenceservice"


def fingerprint(bundle: Path) -> dict[str, tuple[str, int]]:
    return {str(f.relative_to(bundle)): (hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mode)
            for f in sorted(bundle.rglob("*")) if f.is_file()}


def counts(sb: Sandbox, namespace: str, name: str) -> dict[str, int]:
    pod, event = sb.registry.by_kind("", "Pod"), sb.registry.by_kind("", "Event")
    assert pod is not None and event is not None
    pods = sb.store.list(pod, namespace)[1]
    return {"pods": len(pods), "events": len(sb.store.list(event, namespace)[1]),
            "target pods": sum(1 for p in pods if p["metadata"].get("labels", {}).get(LABEL) == name)}


def test_crowd_writes_a_bundle_the_sandbox_loads_with_the_requested_counts(tmp_path: Path):
    target = expectation(SOURCE)["target"]
    ns, name = target["namespace"], target["name"]
    before = fingerprint(SOURCE)

    generated = crowd(SOURCE, tmp_path / "crowded", pods=60, events=600)

    assert fingerprint(SOURCE) == before, "the source bundle was modified"
    assert generated.namespace == ns
    source, crowded = load(SOURCE), load(generated.path)
    plain_sb, crowded_sb = Sandbox([source]), Sandbox([crowded])
    assert crowded_sb.loaded == ["crowded"] and not crowded_sb.skipped
    plain, more = counts(plain_sb, ns, name), counts(crowded_sb, ns, name)
    assert more["pods"] - plain["pods"] == 60
    assert more["events"] - plain["events"] == 600
    assert more["target pods"] == plain["target pods"], "a generated pod carries the target's label"
    assert crowded.logs == source.logs
    assert (generated.path / "expect.yaml").read_bytes() == (SOURCE / "expect.yaml").read_bytes()
