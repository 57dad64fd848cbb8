"""The client's credentials: a kubeconfig's exec plugin is asked again for a token, at most every few seconds."""

from __future__ import annotations

import json
import sys
import time

import pytest
import yaml

from core.kube import client as kube_client
from core.kube.client import Kube, api_client_from
from core.kube.errors import Unauthorized
from core.kube.resources import PODS
from tests.conftest import public_bundle

PLUGIN = """
import json, sys, datetime
token = open(sys.argv[1]).read().strip()
# expiring within the loader's five minutes of skew, so the loader asks again whenever its hook runs
expiry = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"token": token, "expirationTimestamp": expiry}}))
"""


def test_a_rotated_exec_credential_is_used_once_the_refresh_period_has_passed(serve, tmp_path, monkeypatch):
    monkeypatch.setattr(kube_client, "CREDENTIAL_REFRESH_SECONDS", 3.0)
    r = serve(public_bundle("healthy-sklearn-iris"))
    token_file, plugin = tmp_path / "token", tmp_path / "plugin.py"
    token_file.write_text(r.sandbox.admin_token)
    plugin.write_text(PLUGIN)
    kc = yaml.safe_load(r.kubeconfig_path.read_text())
    kc["users"] = [{"name": "sandbox-admin", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
        "args": [str(plugin), str(token_file)], "interactionMode": "Never"}}}]
    path = tmp_path / "exec-kubeconfig"
    path.write_text(json.dumps(kc))
    kube = Kube(api_client_from(str(path)))

    assert kube.list(PODS, "kserve-test")["items"]
    token_file.write_text("revoked-token")
    assert kube.list(PODS, "kserve-test")["items"], "within the period the credential in hand is used"
    time.sleep(3.1)
    with pytest.raises(Unauthorized):
        kube.list(PODS, "kserve-test")
