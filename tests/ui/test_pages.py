"""The HTML pages for people: what they show, that they escape what the cluster says, and when they offer an apply.

The pages are driven through Flask's test client against sandboxes on scenario bundles, like the API.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from service import create_app
from tests.conftest import ROOT, SCENARIOS, bundle_id, bundles, expectation, public_bundle, sandbox_requests

RBAC_BUNDLE = SCENARIOS / "remediation" / "oom-xgboost-rbac"
PLANTED = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the page (entities decoded), for assertions."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, cls: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if cls in (a.get("class") or "").split()]

    def with_attr(self, name: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if name in a]


@pytest.fixture
def apps():
    made: list[Any] = []

    def make(r: Any, remediators: str = "", kubeconfig: Path | None = None) -> Any:
        app = create_app({"KUBECONFIG": str(kubeconfig or r.kubeconfig_path),
                          "KSERVE_DOCTOR_REMEDIATORS": remediators})
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["kserve_doctor"].close()


def html_of(resp: Any) -> str:
    assert resp.mimetype == "text/html", resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


# -- the diagnosis page --------------------------------------------------------------------------


def test_the_oom_page_shows_readiness_the_trace_the_findings_and_the_previewed_diff(serve, apps):
    client = apps(serve(public_bundle("oom-exitcode137")))
    resp = client.get("/ui/kserve-test/fraud-gbm")
    assert resp.status_code == 200
    html = html_of(resp)
    page = Elements(html)
    text = "".join(page.text)
    # readiness
    assert "RevisionMissing" in text and "Serverless" in text
    assert page.with_class("ready-false"), "the Ready condition False is shown as such"
    # the trace: a chain of hops, the first broken one marked
    hops = page.with_class("hop")
    assert [h["data-hop"] for h in hops] == ["ingress-gateway", "kserve-virtualservice", "knative-route",
                                             "revision-service", "queue-proxy", "model-container"]
    assert [h["data-status"] for h in hops] == ["unknown", "unknown", "unknown", "broken", "broken", "broken"]
    [dies] = page.with_class("hop-dies")
    assert dies["data-hop"] == "revision-service"
    assert html.count("the request dies here") == 1
    assert re.search(r'data-hop="revision-service"[^>]*>\s*<div class="dies-label">the request dies here</div>', html)
    assert "revision fraud-gbm-predictor-00001 is not ready: ExitCode137" in text
    assert "Service kserve-test/fraud-gbm-predictor-00001" in text
    # the findings, with their evidence
    assert [f["data-code"] for f in page.with_class("finding")] == ["CONTAINER_OOM_KILLED", "REVISION_MISSING"]
    assert page.with_class("sev-critical")
    assert "kserve-container of the predictor is killed for exceeding its memory limit" in text
    assert "(the <code>raise-memory-limit</code> remediation previews 512Mi)" in html, "`code` spans of explanations"
    assert "status.containerStatuses[name=kserve-container]" in text
    assert '"reason": "OOMKilled"' in text, "structured evidence values are shown as JSON"
    assert {"observed", "reported", "declared"} <= {c.split("-", 1)[1] for a in page.with_class("level")
                                                    for c in (a["class"] or "").split() if c.startswith("level-")}
    # the preview of the offered fix: the diff coloured line by line, the warnings, the verdict
    assert '<span class="diff-del">-          memory: 256Mi\n</span>' in html
    assert '<span class="diff-add">+          memory: 512Mi\n</span>' in html
    assert '<span class="diff-hunk">@@ -20,7 +20,7 @@\n</span>' in html
    assert "The current limit 256Mi comes from spec.predictor.model.resources.limits.memory." in text
    assert page.with_class("verdict-ok") and "Server dry run: accepted." in text
    # nothing is enabled in this deployment: a preview only, and it says why
    assert not page.with_attr("data-apply") and "Apply this fix" not in html
    assert page.with_class("not-enabled") and "KSERVE_DOCTOR_REMEDIATORS" in text


def test_the_page_loads_nothing_from_elsewhere_and_its_css_is_served(serve, apps):
    client = apps(serve(public_bundle("oom-exitcode137")))
    resp = client.get("/ui/kserve-test/fraud-gbm")
    html = html_of(resp)
    urls = [a.get("src") or a.get("href") or "" for _, a in Elements(html).tags if a.get("src") or a.get("href")]
    assert urls and not [u for u in urls if re.match(r"^([a-z][a-z0-9+.-]*:)?//", u, re.I)], urls
    assert "@import" not in html and "url(" not in html
    [css] = [u for u in urls if u.endswith(".css")]
    asset = client.get(css)
    assert asset.status_code == 200 and asset.mimetype == "text/css"
    assert not re.search(r"url\(|@import|https?://", asset.get_data(as_text=True)), "no remote fonts or images"
    csp = resp.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert [a.get("nonce") for t, a in Elements(html).tags if t == "script"] == [nonce], "the one script, by nonce"


def test_a_healthy_service_shows_ready_every_hop_ok_and_no_findings(serve, apps):
    client = apps(serve(public_bundle("healthy-sklearn-iris")))
    resp = client.get("/ui/kserve-test/sklearn-iris")
    assert resp.status_code == 200
    html = html_of(resp)
    page = Elements(html)
    assert page.with_class("ready-true")
    assert {h["data-status"] for h in page.with_class("hop")} == {"ok"}
    assert "the request dies here" not in html and not page.with_class("hop-dies")
    assert page.with_class("no-findings") and not page.with_class("finding")
    assert "sklearn-iris-predictor-00001" in "".join(page.text)


def test_a_stale_status_is_warned(serve, apps, tmp_path):
    dest = tmp_path / "stale"
    shutil.copytree(public_bundle("healthy-sklearn-iris"), dest)
    docs = list(yaml.safe_load_all((dest / "cluster.yaml").read_text()))
    [isvc] = [d for d in docs if isinstance(d, dict) and d.get("kind") == "InferenceService"]
    isvc["metadata"]["generation"] = 2  # a spec change the controller has not yet observed (it reports 1)
    (dest / "cluster.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    client = apps(serve(dest))
    text = " ".join("".join(Elements(html_of(client.get("/ui/kserve-test/sklearn-iris"))).text).split())
    assert "Stale status: the Ready condition describes an older spec (generation 2, observed generation 1)" in text
    overview = html_of(client.get("/ui/kserve-test"))
    assert '<span class="badge stale">stale</span>' in overview


def test_the_apply_button_is_there_only_when_the_remediator_is_enabled(serve, apps):
    r = serve(RBAC_BUNDLE)
    off = Elements(html_of(apps(r).get("/ui/remedy-oom/churn-xgb")))
    assert not off.with_attr("data-apply") and off.with_class("not-enabled")
    other = Elements(html_of(apps(r, "restart-pods").get("/ui/remedy-oom/churn-xgb")))
    assert not other.with_attr("data-apply"), "another remediator enabled does not enable this one"

    client = apps(r, "raise-memory-limit")
    html = html_of(client.get("/ui/remedy-oom/churn-xgb"))
    page = Elements(html)
    [box] = page.with_attr("data-apply")
    assert page.with_class("apply-start") and "Apply this fix" in html
    [form] = page.with_class("apply-confirm")
    assert "hidden" in form, "the confirmation step is shown only after the first click"
    [token] = [a for t, a in page.tags if t == "input" and a.get("name") == "token"]
    assert token["type"] == "password"
    assert box["data-endpoint"] == "/remediate" and box["data-id"] == "raise-memory-limit"
    assert (box["data-namespace"], box["data-name"]) == ("remedy-oom", "churn-xgb")
    params = json.loads(box["data-params"] or "")
    assert params == {"component": "predictor", "container": "kserve-container", "memory": "1Gi"}
    # the page's plan is the API's plan: the same preview through POST /remediate ...
    preview = client.post("/remediate", json={"id": "raise-memory-limit", "namespace": "remedy-oom",
                                              "name": "churn-xgb", "params": params}).get_json()
    assert box["data-plan-id"] == preview["planId"]
    # ... and what the page's script would post applies it, with the caller's own token
    body = {"id": box["data-id"], "namespace": box["data-namespace"], "name": box["data-name"], "params": params,
            "dryRun": False, "planId": box["data-plan-id"]}
    refused = client.post("/remediate", json=body, headers={"Authorization": "Bearer bob-token"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "CALLER_FORBIDDEN"
    applied = client.post("/remediate", json=body, headers={"Authorization": "Bearer alice-token"})
    assert applied.status_code == 200 and applied.get_json()["applied"] is True


def test_a_preview_the_api_server_refuses_shows_the_refusal(serve, apps, tmp_path):
    r = serve(RBAC_BUNDLE)
    reader = r.write_kubeconfig(tmp_path / "kubeconfig-bob", token="bob-token")  # bob may only read
    html = html_of(apps(r, "raise-memory-limit", kubeconfig=reader).get("/ui/remedy-oom/churn-xgb"))
    page = Elements(html)
    assert page.with_class("verdict-refused") and "Server dry run: refused." in html
    assert re.search(r"InferenceService churn-xgb: 403 Forbidden", "".join(page.text))
    assert "an apply will most likely be refused too" in html


def test_an_unknown_inference_service_is_a_friendly_404_page(serve, apps):
    client = apps(serve(public_bundle("healthy-sklearn-iris")))
    resp = client.get("/ui/kserve-test/nope")
    assert resp.status_code == 404
    html = html_of(resp)
    text = "".join(Elements(html).text)
    assert "There is no InferenceService nope in kserve-test" in text and "ISVC_NOT_FOUND" in text
    assert 'href="/ui/kserve-test"' in html


@pytest.mark.parametrize("path", [
    "/ui/Kserve-Test/sklearn-iris",
    "/ui/kserve-test/sklearn_iris",
    "/ui/kserve-test/" + "a" * 64,
    "/ui/" + "n" * 64,
    "/ui/-ns",
])
def test_malformed_names_are_a_400_page_without_calling_the_api_server(serve, apps, path):
    r = serve(public_bundle("healthy-sklearn-iris"))
    client = apps(r)
    sandbox_requests(r, clear=True)
    resp = client.get(path)
    assert resp.status_code == 400
    assert "DNS-1123" in html_of(resp)
    assert sandbox_requests(r) == []


def test_an_unreachable_api_server_is_a_503_page(serve, apps):
    r = serve(public_bundle("healthy-sklearn-iris"))
    client = apps(r)
    r.stop()
    resp = client.get("/ui/kserve-test/sklearn-iris")
    assert resp.status_code == 503
    assert "does not answer" in html_of(resp)


def test_an_unexpected_error_is_an_html_500_without_a_traceback(serve, apps, monkeypatch):
    client = apps(serve(public_bundle("healthy-sklearn-iris")))
    monkeypatch.setattr(client.application.extensions["kserve_doctor"], "diagnose", lambda *_: 1 / 0)
    resp = client.get("/ui/kserve-test/sklearn-iris")
    assert resp.status_code == 500
    html = html_of(resp)
    assert "Traceback" not in html and "ZeroDivision" not in html


# -- the namespace overview ----------------------------------------------------------------------


def test_the_overview_lists_each_inference_service_with_its_readiness_and_worst_codes(serve, apps):
    client = apps(serve(public_bundle("oom-exitcode137"), public_bundle("healthy-sklearn-iris")))
    resp = client.get("/ui/kserve-test")
    assert resp.status_code == 200
    html = html_of(resp)
    page = Elements(html)
    assert [a["href"] for a in page.with_class("isvc-link")] == ["/ui/kserve-test/fraud-gbm",
                                                                 "/ui/kserve-test/sklearn-iris"]
    rows = re.findall(r'<tr class="isvc-row">(.*?)</tr>', html, re.S)
    assert "ready-false" in rows[0] and "sev-critical" in rows[0]
    assert "CONTAINER_OOM_KILLED" in rows[0] and "REVISION_MISSING" in rows[0]
    assert "ready-true" in rows[1] and "none" in rows[1]
    assert client.get("/ui/kserve-test/fraud-gbm").status_code == 200, "the link leads to its page"


def test_an_empty_namespace_says_so(serve, apps):
    client = apps(serve(public_bundle("healthy-sklearn-iris")))
    resp = client.get("/ui/nobody-here")
    assert resp.status_code == 200
    assert "There are no InferenceServices in nobody-here" in html_of(resp)


# -- escaping -------------------------------------------------------------------------------------


def planted_bundle(tmp_path: Path) -> Path:
    """crashloop-sklearn-stopiteration with a <script> in an event message, a condition message and a log line."""
    source = public_bundle("crashloop-sklearn-stopiteration")
    dest = tmp_path / "planted"
    shutil.copytree(source, dest)
    docs = list(yaml.safe_load_all((dest / "cluster.yaml").read_text()))
    planted = set()
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "Event" and doc.get("reason") == "BackOff":
            doc["message"] = f"Back-off restarting failed container {PLANTED}"
            planted.add("event")
        if doc.get("kind") == "Revision":
            for c in (doc.get("status") or {}).get("conditions") or []:
                if c.get("type") == "ContainerHealthy":
                    c["message"] = f"{PLANTED}\n{c['message']}"
                    planted.add("condition")
    (dest / "cluster.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    [log] = dest.glob("logs/*/*/kserve-container.previous.log")
    lines = log.read_text().splitlines()
    log.write_text("\n".join([*lines[:-1], f"model.load() printed {PLANTED}", lines[-1]]) + "\n")
    assert planted == {"event", "condition"}
    return dest


def test_what_the_cluster_says_is_escaped_never_markup(serve, apps, tmp_path):
    client = apps(serve(planted_bundle(tmp_path)))
    resp = client.get("/ui/kubeflow-user-example-com/sklearn-iris")
    assert resp.status_code == 200
    html = html_of(resp)
    assert PLANTED not in html
    assert html.count("<script") == 1, "no script element but the page's own"
    # each planted value reached the page, escaped: the event, the condition and the log line
    assert f"Back-off restarting failed container {ESCAPED}" in html
    assert f"model.load() printed {ESCAPED}" in html
    assert html.count(ESCAPED) >= 3
    text = "".join(Elements(html).text)
    assert PLANTED in text, "shown to the reader as the text it is"


def test_the_templates_never_mark_data_safe():
    templates = ROOT / "service" / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup\(", source), path


# -- every scenario ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle", bundles(), ids=bundle_id)
def test_every_scenario_renders_its_page(bundle: Path, serve, apps):
    """Each bundle's page: the expected status, each expected code, and a preview (or its refusal) per offer."""
    expect = expectation(bundle)
    ns, name = expect["target"]["namespace"], expect["target"]["name"]
    client = apps(serve(bundle), "raise-memory-limit,restart-pods,skip-tag-resolution")
    resp = client.get(f"/ui/{ns}/{name}")
    html = html_of(resp)
    assert resp.status_code == expect.get("status", 200)
    page = Elements(html)
    shown = {a["data-code"] for a in page.with_class("finding")}
    if resp.status_code == 200:
        assert set(expect.get("codes") or []) <= shown
        offered = page.with_attr("data-remediation")
        assert {a["data-remediation"] for a in offered} >= set(expect.get("offers") or [])
        assert len(page.with_class("preview")) + len(page.with_class("preview-error")) == len(offered)
        assert len(page.with_class("hop-dies")) == (1 if page.with_class("hop-broken") else 0)
    else:
        assert all(code in html for code in expect.get("codes") or [])
