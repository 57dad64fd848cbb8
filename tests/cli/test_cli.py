"""The kserve-doctor command, as an engineer runs it with their own kubeconfig."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from tests.conftest import SCENARIOS, public_bundle

CLI = str(Path(sys.executable).with_name("kserve-doctor"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def test_diagnose_prints_a_readable_report_and_fails_on_a_critical_finding(serve):
    r = serve(public_bundle("oom-exitcode137"))
    out = run("diagnose", "kserve-test/fraud-gbm", "--kubeconfig", str(r.kubeconfig_path))
    assert out.returncode == 1, out.stderr
    assert "CRITICAL CONTAINER_OOM_KILLED  [predictor]" in out.stdout
    assert "kserve-doctor remediate raise-memory-limit kserve-test/fraud-gbm" in out.stdout
    assert "The request dies at revision-service" in out.stdout
    assert "revision-service[BROKEN]" in out.stdout


def test_a_healthy_service_exits_zero_and_json_and_yaml_carry_the_same_answer(serve):
    r = serve(public_bundle("healthy-sklearn-iris"))
    kc = str(r.kubeconfig_path)
    text = run("diagnose", "kserve-test/sklearn-iris", "--kubeconfig", kc)
    assert text.returncode == 0 and "No problem found." in text.stdout
    as_json = json.loads(run("diagnose", "kserve-test/sklearn-iris", "--kubeconfig", kc, "-o", "json").stdout)
    as_yaml = yaml.safe_load(run("diagnose", "kserve-test/sklearn-iris", "--kubeconfig", kc, "-o", "yaml").stdout)
    assert as_json["findings"] == as_yaml["findings"] == []
    assert as_json["target"] == {"namespace": "kserve-test", "name": "sklearn-iris", "uid": as_json["target"]["uid"]}


def test_a_namespace_alone_gives_the_overview(serve):
    r = serve(public_bundle("gpu-unschedulable"))
    out = run("diagnose", "llm-serving", "--kubeconfig", str(r.kubeconfig_path))
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "MODE", "WORST", "CODES"]
    assert any(ln.split()[:4] == ["llama3-8b", "False", "Serverless", "critical"] for ln in lines)
    assert any(ln.split()[:2] == ["mistral-7b", "True"] for ln in lines)


@pytest.mark.parametrize("args", [[], ["diagnose"], ["diagnose", "Bad_Name/x"], ["remediate", "raise-memory-limit"],
                                  ["remediate", "raise-memory-limit", "ns/name", "--param", "novalue"], ["explode"]])
def test_argument_errors_exit_2_with_a_usage_line(args):
    out = run(*args)
    assert out.returncode == 2
    assert "usage: kserve-doctor" in out.stderr


def test_remediate_previews_by_default_and_applies_with_the_users_own_credentials(serve):
    r = serve(SCENARIOS / "remediation" / "oom-xgboost-rbac")
    kc = str(r.kubeconfig_path)
    api = client.CustomObjectsApi(config.new_client_from_config(kc))
    isvc = ("serving.kserve.io", "v1beta1", "remedy-oom", "inferenceservices", "churn-xgb")
    before = api.get_namespaced_custom_object(*isvc)
    preview = run("remediate", "raise-memory-limit", "remedy-oom/churn-xgb", "--param", "memory=2Gi",
                  "--kubeconfig", kc)
    assert preview.returncode == 0, preview.stderr
    assert "preview (nothing changed)" in preview.stdout
    assert "+          memory: 2Gi" in preview.stdout
    assert api.get_namespaced_custom_object(*isvc) == before
    applied = run("remediate", "raise-memory-limit", "remedy-oom/churn-xgb", "--param", "memory=2Gi", "--apply",
                  "--kubeconfig", kc)
    assert applied.returncode == 0, applied.stderr
    assert "APPLIED" in applied.stdout
    after = api.get_namespaced_custom_object(*isvc)
    assert after["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "2Gi"


def test_a_user_without_rights_is_refused_by_the_api_server_itself(serve, tmp_path):
    r = serve(SCENARIOS / "remediation" / "oom-xgboost-rbac")
    bob = r.write_kubeconfig(tmp_path / "bob", token="bob-token")
    out = run("remediate", "raise-memory-limit", "remedy-oom/churn-xgb", "--apply", "--kubeconfig", str(bob))
    assert out.returncode == 1
    assert "bob@example.com" in out.stderr and "patch" in out.stderr


def test_bad_parameters_are_refused_with_the_field(serve):
    r = serve(SCENARIOS / "remediation" / "oom-xgboost-rbac")
    out = run("remediate", "raise-memory-limit", "remedy-oom/churn-xgb", "--param", "memory=lots",
              "--kubeconfig", str(r.kubeconfig_path))
    assert out.returncode == 1
    assert "VALIDATION_FAILED" in out.stderr and "not a Kubernetes quantity" in out.stderr


def test_serve_starts_the_service(serve, tmp_path):
    import os
    import socket
    import time
    import urllib.request

    r = serve(public_bundle("healthy-sklearn-iris"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                            env=dict(os.environ, KUBECONFIG=str(r.kubeconfig_path)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                    assert json.loads(resp.read())["status"] == "ok"
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("kserve-doctor serve did not answer")
    finally:
        proc.terminate()
        proc.wait(15)
