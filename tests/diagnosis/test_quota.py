"""QUOTA_EXCEEDED when only the ReplicaSet's FailedCreate events tell, as on a cluster without conditions."""

from __future__ import annotations

import shutil

import yaml

from tests.conftest import SCENARIOS, expectation, only_finding


def test_a_refusal_seen_only_in_replicaset_events_is_found(diagnose_bundle, tmp_path):
    source = SCENARIOS / "quota" / "rawdeployment-limitrange-max-memory"
    bundle = tmp_path / "bundle"
    shutil.copytree(source, bundle)
    docs = [d for d in yaml.safe_load_all((bundle / "cluster.yaml").read_text()) if d]
    for d in docs:
        if d["kind"] in ("Deployment", "InferenceService"):
            conds = (d.get("status") or {}).get("conditions") or []
            d["status"]["conditions"] = [c for c in conds if c.get("type") != "ReplicaFailure"
                                         and "forbidden" not in str(c.get("message", ""))]
    assert any(d["kind"] == "Event" and d["reason"] == "FailedCreate" for d in docs)
    (bundle / "cluster.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    quota = only_finding(diagnose_bundle(bundle, expectation(source)["target"]), "QUOTA_EXCEEDED")
    assert any(e["object"]["kind"] == "Event" for e in quota["evidence"])
