"""Every remediation a bundle's diagnosis offers, previewed as the service previews it and compared in full.

For each entry of expect.yaml's `plans` (docs/scenarios.md): POST /remediate with dryRun (the default)
through the sandbox over HTTP, as a user would after reading the diagnosis, with the entry's `params`
and `pin` (parameters that fix the clock, e.g. restart-pods' restartedAt). The answer must be the
golden: every patched object (apiVersion, kind, namespace, name), its RFC 6902 ops in order, whether the
API server's dry run accepted it, and the warnings; or the error the plan was refused with. The
resourceVersion an op tests is written `<resourceVersion>` and must be the one of the object it patches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service import create_app
from tests.conftest import bundle_id, bundles, expectation

RESOURCE_VERSION = "<resourceVersion>"
PLANNED = [b for b in bundles() if expectation(b).get("plans")]


def as_golden(body: dict) -> dict:
    """The preview, in the shape of a `plans` entry (the object's resourceVersion folded into its `test` op)."""
    verdicts = {(r["object"]["kind"], r["object"].get("namespace", ""), r["object"]["name"]): r
                for r in body["serverDryRun"]["results"]}
    changes = []
    for c in body["changes"]:
        obj = dict(c["object"])
        rv = obj.pop("resourceVersion")
        patch = [dict(op, value=RESOURCE_VERSION) if (op["op"], op["path"], op.get("value")) == (
            "test", "/metadata/resourceVersion", rv) else op for op in c["patch"]]
        verdict = verdicts[(obj["kind"], obj.get("namespace", ""), obj["name"])]
        change = {"object": {k: obj[k] for k in ("apiVersion", "kind", "namespace", "name") if k in obj},
                  "patch": patch, "accepted": verdict["accepted"]}
        if not verdict["accepted"]:
            change["refusal"] = {k: verdict[k] for k in ("code", "reason", "message") if k in verdict}
        changes.append(change)
    return {"changes": changes, "warnings": body["warnings"]}


def test_bundles_state_plans():
    assert len(PLANNED) >= 40


@pytest.mark.parametrize("bundle", PLANNED, ids=bundle_id)
def test_every_plan_on_offer_is_previewed_as_the_golden_says(bundle: Path, serve):
    expect = expectation(bundle)
    r = serve(bundle)
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    try:
        client = app.test_client()
        for plan in expect["plans"]:
            resp = client.post("/remediate", json={**expect["target"], "id": plan["id"],
                                                   "params": {**plan["params"], **plan.get("pin", {})}})
            body = resp.get_json()
            assert resp.status_code == plan.get("status", 200), body
            if resp.status_code != 200:
                assert {k: body["error"][k] for k in ("code", "message")} == plan["error"]
                continue
            assert body["dryRun"] is True and body["applied"] is False
            assert as_golden(body) == {"changes": plan["changes"], "warnings": plan["warnings"]}
    finally:
        app.extensions["kserve_doctor"].close()
