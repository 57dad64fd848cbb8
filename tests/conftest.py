"""Shared fixtures: sandboxes on scenario bundles, kubectl against them, the app pointed at them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.serving import Running, running

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi.yaml"
SCENARIOS = ROOT / "scenarios"
PUBLIC = ROOT.parent / "shared" / "scenarios" / "public"


def bundles() -> list[Path]:
    """Every bundle with an expect.yaml: the project's own, and the shared public ones when present."""
    own = sorted(p.parent for p in SCENARIOS.glob("**/expect.yaml"))
    public = sorted(p.parent for p in PUBLIC.glob("*/expect.yaml")) if PUBLIC.is_dir() else []
    return own + public


def bundle_id(path: Path) -> str:
    return f"public/{path.name}" if PUBLIC in path.parents else str(path.relative_to(SCENARIOS))


def public_bundle(name: str) -> Path:
    """A shared public bundle, or a skip where ../shared is not checked out."""
    path = PUBLIC / name
    if not path.is_dir():
        pytest.skip(f"{path} is not available")
    return path


def expectation(bundle: Path) -> dict[str, Any]:
    return yaml.safe_load((bundle / "expect.yaml").read_text())


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """serve(bundle, ...) -> a Running sandbox whose admin kubeconfig is at running.kubeconfig_path."""
    stack: list[Any] = []

    def start(*paths: Path) -> Running:
        kc = tmp_path / f"kubeconfig-{len(stack)}"
        cm = running(*paths, kubeconfig=kc)
        r = cm.__enter__()
        r.kubeconfig_path = kc  # type: ignore[attr-defined]
        stack.append(cm)
        return r

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture
def diagnose_bundle(serve: Callable[..., Running]) -> Callable[..., dict[str, Any]]:
    """diagnose_bundle(bundle[, target]) -> the diagnosis body of the bundle's target (its expect.yaml's unless
    given), through sandbox -> official client -> service."""
    from service import create_app

    def run(bundle: Path, target: dict[str, str] | None = None) -> dict[str, Any]:
        t = target or expectation(bundle)["target"]
        r = serve(bundle)
        app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
        try:
            return app.test_client().get(f"/diagnose/{t['namespace']}/{t['name']}").get_json()
        finally:
            app.extensions["kserve_doctor"].close()

    return run


def only_finding(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The one finding of that code in a diagnosis body."""
    [finding] = [f for f in body["findings"] if f["code"] == code]
    return finding


@pytest.fixture(scope="session")
def kubectl_bin() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl is not on PATH: the sandbox tests drive it")
    return path


@pytest.fixture
def kubectl(kubectl_bin: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(kubeconfig: Path, *args: str, check: bool = False, input: str | None = None,
            ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = str(kubeconfig.parent)  # kubectl's discovery cache goes there, not in the user's home
        proc = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), *args], capture_output=True,
                              text=True, timeout=60, env=env, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stderr}")
        return proc
    return run


def set_faults(r: Running, rules: list[dict[str, Any]]) -> None:
    """Replace the sandbox's fault rules (the same rules a bundle's faults.yaml holds)."""
    import ssl

    ctx = ssl.create_default_context(cadata=r.cert.ca_pem.decode())
    req = urllib.request.Request(f"{r.url}/_sandbox/faults", method="PUT", data=json.dumps(rules).encode(),
                                 headers={"Authorization": f"Bearer {r.sandbox.admin_token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        resp.read()


def sandbox_requests(r: Running, clear: bool = False) -> list[dict[str, Any]]:
    """The requests the sandbox served (from its admin-only control endpoint)."""
    import ssl

    ctx = ssl.create_default_context(cadata=r.cert.ca_pem.decode())
    req = urllib.request.Request(f"{r.url}/_sandbox/requests", method="DELETE" if clear else "GET",
                                 headers={"Authorization": f"Bearer {r.sandbox.admin_token}"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return list(json.loads(resp.read()).get("items", []))


@pytest.fixture(autouse=True)
def responses_conform_to_openapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response a test receives from a documented route is validated against openapi.yaml."""
    from flask.testing import FlaskClient
    from openapi_core import OpenAPI
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
    from openapi_core.templating.paths.exceptions import PathNotFound
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    spec = OpenAPI.from_dict(yaml.safe_load(OPENAPI.read_text()))
    original = FlaskClient.open

    def checked(self: FlaskClient, *args: Any, **kwargs: Any) -> Any:
        resp = original(self, *args, **kwargs)
        builder = EnvironBuilder(*args, **{k: v for k, v in kwargs.items() if k not in ("follow_redirects",
                                                                                       "buffered")})
        req = WerkzeugOpenAPIRequest(Request(builder.get_environ()))
        try:
            spec.validate_response(req, WerkzeugOpenAPIResponse(resp))
        except PathNotFound:
            pass  # an undocumented path (unknown routes, /metrics): nothing to conform to
        except Exception as e:
            if "OperationNotFound" in type(e).__name__ and resp.status_code == 405:
                return resp  # a method the route does not have: answered 405 in the one error shape
            raise AssertionError(f"{builder.method} {builder.path} -> {resp.status_code} does not conform to "
                                 f"openapi.yaml: {e}") from e
        return resp

    monkeypatch.setattr(FlaskClient, "open", checked)
