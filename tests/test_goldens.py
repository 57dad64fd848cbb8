"""Every bundle's golden, compared in full and fast: the offline loader's diagnosis against expect.yaml.

The answer is the one GET /diagnose gives (sandbox.offline runs the service's Doctor on the bundle's
sandbox in-process; tests/sandbox/test_offline.py proves its snapshot equal to the one read over HTTP).
A bundle that states `findings` (docs/scenarios.md) must report exactly those, in that order, and offer
exactly the remediations its `plans` name; the shared keys (`status`, `codes`, `absent`, `offers`) hold
for every bundle, the public ones included. The plans themselves are compared in tests/test_plans.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import offline
from tests.conftest import bundle_id, bundles, expectation


def triples(body: dict) -> list[dict]:
    return [{"code": f["code"], "component": f["component"], "severity": f["severity"]} for f in body["findings"]]


def offers(body: dict) -> list[dict]:
    """The remediations on offer, each (id, params) once, in the order of the findings."""
    out: list[dict] = []
    for f in body["findings"]:
        for r in f.get("remediations") or []:
            if (o := {"id": r["id"], "params": r["params"]}) not in out:
                out.append(o)
    return out


@pytest.mark.parametrize("bundle", bundles(), ids=bundle_id)
def test_the_diagnosis_is_the_golden(bundle: Path):
    expect = expectation(bundle)
    body = offline.diagnosis(bundle)
    assert offline.status_of(body) == expect.get("status", 200), body.get("error")
    got = {f["code"] for f in body["findings"]}
    assert set(expect.get("codes") or []) <= got
    assert not got & set(expect.get("absent") or [])
    assert set(expect.get("offers") or []) <= {o["id"] for o in offers(body)}
    if "findings" in expect:
        assert triples(body) == expect["findings"]
        assert offers(body) == [{"id": p["id"], "params": p["params"]} for p in expect.get("plans") or []]
