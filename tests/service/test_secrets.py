"""Planted secrets never come out: not in diagnoses, previews, overviews, nor the service's own logs."""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path

import yaml

from service import create_app, logs
from tests.conftest import SCENARIOS

SECRETS = {
    "aws_key": "AKIAQ3EGRS4TW7EXAMPL",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "uri_password": "s3cr3tPa55w0rd",
    "bearer": "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXZhbHVl",
    "env_value": "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "log_password": "hunter2-but-longer",
}
NS, NAME = "remedy-oom", "churn-xgb"
POD = "churn-xgb-predictor-00001-deployment-5c8d7f9b6d-4tqzn"


def planted_bundle(tmp: Path) -> Path:
    dst = tmp / "bundle"
    shutil.copytree(SCENARIOS / "remediation" / "oom-xgboost-rbac", dst)
    docs = list(yaml.safe_load_all((dst / "cluster.yaml").read_text()))
    for d in docs:
        if d and d.get("kind") == "InferenceService":
            model = d["spec"]["predictor"]["model"]
            model["storageUri"] = f"s3://minio:{SECRETS['uri_password']}@minio.local:9000/models/churn"
            model["env"] = [{"name": "HF_TOKEN", "value": SECRETS["env_value"]},
                            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "id"}}}]
            d["status"]["modelStatus"]["lastFailureInfo"]["message"] = (
                f"Authorization: Bearer {SECRETS['bearer']} refused")
        if d and d.get("kind") == "Pod" and d["metadata"]["name"] == POD:
            d["spec"]["containers"][0]["env"] = [{"name": "AWS_SECRET_ACCESS_KEY", "value": SECRETS["aws_secret"]}]
            d["status"]["containerStatuses"][0]["lastState"]["terminated"]["message"] = (
                f"using AWS_SECRET_ACCESS_KEY={SECRETS['aws_secret']} and key {SECRETS['aws_key']}")
    (dst / "cluster.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    log = dst / "logs" / NS / POD / "kserve-container.previous.log"
    log.write_text(log.read_text() + f"connecting with password={SECRETS['log_password']}\n"
                   f"Authorization: Bearer {SECRETS['bearer']}\n{SECRETS['aws_key']} {SECRETS['aws_secret']}\n")
    return dst


def test_no_planted_secret_leaves_the_service(serve, tmp_path):
    r = serve(planted_bundle(tmp_path))
    logs.configure()
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_kserve_doctor_json", False)]
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        app = create_app({"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_LOG_LEVEL": "DEBUG"})
        c = app.test_client()
        bodies = [c.get(f"/diagnose/{NS}/{NAME}").get_data(as_text=True),
                  c.get(f"/diagnose/{NS}").get_data(as_text=True),
                  c.post("/remediate", json={"id": "raise-memory-limit", "namespace": NS, "name": NAME}
                         ).get_data(as_text=True),
                  c.post("/remediate", json={"id": "restart-pods", "namespace": NS, "name": NAME}
                         ).get_data(as_text=True)]
        app.extensions["kserve_doctor"].close()
    finally:
        handler.setStream(previous)
    assert "OOMKilled" in bodies[0] and "raise-memory-limit" in bodies[0], "the diagnosis itself still works"
    everything = "\n".join(bodies) + captured.getvalue()
    for what, value in SECRETS.items():
        assert value not in everything, f"{what} leaked"
    assert r.sandbox.admin_token not in everything, "the service's own token leaked"
