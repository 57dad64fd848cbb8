"""The OOM page in a real headless browser: what a person sees, and the apply path up to its confirmation.

Debian's `chromium` driven by the `playwright` Python package (never `playwright install`: the browser is the
system's). The service listens on a real port; the page must work with nothing but that port reachable.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from service import create_app
from tests.conftest import ROOT, SCENARIOS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
BUNDLE = SCENARIOS / "remediation" / "oom-xgboost-rbac"
NS, NAME = "remedy-oom", "churn-xgb"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("no chromium at /usr/bin/chromium: `python3 dev.py test` installs it (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                                                                 "(it is pinned in pyproject's dev extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                                    args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def base_url(serve) -> Iterator[str]:
    """The service on a real port (werkzeug, threaded), reading the sandbox of the remediation bundle."""
    r = serve(BUNDLE)
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_REMEDIATORS": "raise-memory-limit"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="ui-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    app.extensions["kserve_doctor"].close()


def test_a_person_sees_the_diagnosis_and_reaches_the_apply_confirmation(chromium, base_url):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    # console errors (a CSP refusal, a script error), but not Chrome's note on the expected 403 of bob's apply
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and not msg.text.startswith(
        "Failed to load resource: the server responded with a status of 403") else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))

    resp = page.goto(f"{base_url}/ui/{NS}/{NAME}")
    assert resp is not None and resp.status == 200

    # what a person sees: the codes, the hop where the request dies, the diff of the fix
    findings = page.locator("article.finding")
    assert findings.count() == 2
    assert "CONTAINER_OOM_KILLED" in findings.nth(0).inner_text()
    assert "REVISION_MISSING" in findings.nth(1).inner_text()
    dies = page.locator("li.hop-dies")
    assert dies.count() == 1 and dies.is_visible()
    dies_text = dies.inner_text()
    assert "the request dies here" in dies_text.lower()
    assert "revision-service" in dies_text and "ExitCode137" in dies_text
    chain = page.locator("ol.trace-chain li.hop")
    boxes = [chain.nth(i).bounding_box() for i in range(chain.count())]
    assert all(b is not None for b in boxes)
    assert [b["y"] for b in boxes] == [boxes[0]["y"]] * len(boxes), "the hops are one horizontal chain"
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)
    added, removed = page.locator(".diff .diff-add"), page.locator(".diff .diff-del")
    assert added.inner_text().strip() == "+          memory: 1Gi"
    assert removed.inner_text().strip() == "-          memory: 512Mi"
    green = added.evaluate("e => getComputedStyle(e).backgroundColor")
    red = removed.evaluate("e => getComputedStyle(e).backgroundColor")
    assert green != red and "rgba(0, 0, 0, 0)" not in (green, red), "added and removed lines are coloured"
    assert page.get_by_text("Server dry run: accepted.").is_visible()

    # the apply path: the button, then a confirmation that asks for the caller's own token
    confirm = page.locator("form.apply-confirm")
    assert not confirm.is_visible()
    page.get_by_role("button", name="Apply this fix…").click()
    assert confirm.is_visible()
    token = confirm.locator("input[name=token]")
    assert token.get_attribute("type") == "password"
    go = confirm.get_by_role("button", name="Yes, apply it")
    assert go.is_disabled(), "nothing is sent without a token"
    token.fill("bob-token")
    assert go.is_enabled()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"ui-{NAME}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # bob may only read: the answer says so, and nothing was applied
    go.click()
    status = page.locator(".apply-status")
    status.filter(has_text="HTTP").wait_for(timeout=15_000)
    assert "403" in status.inner_text() and "CALLER_FORBIDDEN" in status.inner_text()
    assert token.input_value() == "", "the token is not kept in the page"
    assert '"code": "CALLER_FORBIDDEN"' in page.locator(".apply-json").inner_text()

    assert not problems, problems
    assert requested and all(u.startswith(base_url + "/") for u in requested), "nothing is loaded from elsewhere"
    page.close()
