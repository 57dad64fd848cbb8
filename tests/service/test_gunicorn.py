"""Black box, as operators and the acceptance runs use it: `python -m sandbox` and gunicorn, over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, public_bundle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sandbox_process_and_gunicorn_diagnose_a_bundle(tmp_path: Path, kubectl):
    kc = tmp_path / "kubeconfig"
    sandbox = subprocess.Popen([sys.executable, "-m", "sandbox", "--bundle", str(public_bundle("oom-exitcode137")),
                                "--port", str(free_port()), "--kubeconfig", str(kc)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    service = None
    try:
        for _ in range(200):
            if kc.exists():
                break
            time.sleep(0.05)
        assert kc.exists(), "the sandbox wrote no kubeconfig"
        assert "fraud-gbm" in kubectl(kc, "get", "isvc", "-A", check=True).stdout
        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        service = subprocess.Popen([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "service:create_app()"],
                                   cwd=ROOT, env=dict(os.environ, KUBECONFIG=str(kc)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        with urllib.request.urlopen(base + "/diagnose/kserve-test/fraud-gbm", timeout=30) as resp:
            body = json.loads(resp.read())
        assert "CONTAINER_OOM_KILLED" in {f["code"] for f in body["findings"]}
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/nowhere", timeout=10)
        assert e.value.code == 404
        assert json.loads(e.value.read())["error"]["code"] == "NOT_FOUND"
    finally:
        for p in (service, sandbox):
            if p is not None:
                p.terminate()
                p.wait(10)
