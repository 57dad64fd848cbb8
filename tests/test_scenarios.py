"""Every scenario bundle, end to end: sandbox -> official client over HTTP -> service -> expect.yaml.

The bundles are discovered by glob (the project's own under scenarios/, and ../shared's public ones when
present); adding a bundle adds a test. Each diagnosis must also stay within the request budget, and a
bundle that states its exact `findings` must report them over HTTP too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service import create_app
from tests.conftest import bundle_id, bundles, expectation, sandbox_requests

MAX_REQUESTS = 20


def codes(body: dict) -> set[str]:
    return {f["code"] for f in body.get("findings", [])}


def offers(body: dict) -> set[str]:
    return {r["id"] for f in body.get("findings", []) for r in f.get("remediations", [])}


@pytest.mark.parametrize("bundle", bundles(), ids=bundle_id)
def test_bundle_diagnoses_as_expected(bundle: Path, serve):
    expect = expectation(bundle)
    r = serve(bundle)
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    sandbox_requests(r, clear=True)
    ns, name = expect["target"]["namespace"], expect["target"]["name"]
    resp = app.test_client().get(f"/diagnose/{ns}/{name}")
    body = resp.get_json()
    app.extensions["kserve_doctor"].close()

    assert resp.status_code == expect.get("status", 200), body
    got = codes(body)
    assert set(expect.get("codes") or []) <= got, f"missing {set(expect['codes']) - got}; got {sorted(got)}"
    assert not (got & set(expect.get("absent") or [])), f"wrongly reported {got & set(expect['absent'])}"
    assert set(expect.get("offers") or []) <= offers(body)
    if "findings" in expect:  # the golden (docs/scenarios.md), also compared offline by tests/test_goldens.py
        assert [{k: f[k] for k in ("code", "component", "severity")} for f in body["findings"]] == expect["findings"]
    served = [q for q in sandbox_requests(r) if q["user"] == "sandbox-admin"]
    assert len(served) <= MAX_REQUESTS, [f"{q['verb']} {q['resource']}" for q in served]
    if resp.status_code == 200:
        assert body["evidence"]["apiRequests"] == len(served)
        severities = [f["severity"] for f in body["findings"]]
        rank = {"critical": 0, "error": 1, "warning": 2, "info": 3}
        assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
