"""GET /ui/<namespace> and /ui/<namespace>/<name>: the diagnosis as server-rendered pages, for people.

The pages show what GET /diagnose answers (readiness, the request-flow trace, the findings and their
evidence) and, for each remediation a finding offers, its dry-run preview as POST /remediate answers it
(the diff, the warnings, the API server's dry-run verdict). An apply button is there only for the
remediators this deployment enabled; it asks for confirmation and the caller's own bearer token, and a
small inline script posts the previewed plan (its planId) to POST /remediate with `dryRun: false`.

Everything comes from the cluster and is shown through Jinja's autoescaping (never `|safe`); the pages
load nothing from elsewhere (CSS from the app's static folder, the one script inline with a CSP nonce).
These routes answer HTML, errors included, and are not part of the JSON API's openapi.yaml.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..doctor import ApiUnavailable, Doctor, NotFoundAnswer, name_problem
from ..errors import ApiError
from ..remediate import RemediateRequest, Remediation
from .schemas import DiagnosisSchema, IsvcNotFoundSchema, NamespaceOverviewSchema, RemediationResultSchema

log = logging.getLogger(__name__)

bp = Blueprint("ui", __name__)

SEVERITY_ORDER = ("critical", "error", "warning", "info")


def doctor() -> Doctor:
    return current_app.extensions["kserve_doctor"]


def remediation() -> Remediation:
    return current_app.extensions["kserve_doctor_remediation"]


# -- headers ---------------------------------------------------------------------------------------


@bp.before_request
def _nonce() -> None:
    g.ui_nonce = secrets.token_urlsafe(16)


@bp.after_request
def _headers(resp: Response) -> Response:
    """A strict CSP: own CSS, the one inline script by nonce, fetches to this origin only."""
    nonce = g.get("ui_nonce", "")
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _page(template: str, http_status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(template, nonce=g.get("ui_nonce", ""), **context), http_status


def _error_page(status: int, title: str, message: str, **context: Any) -> ResponseReturnValue:
    return _page("ui/error.html", status, status=status, title=title, message=message, **context)


@bp.errorhandler(Exception)
def _unexpected(e: Exception) -> ResponseReturnValue:
    """The pages answer HTML for people, also when something fails (never a traceback)."""
    if isinstance(e, HTTPException):
        return _error_page(e.code or 500, e.name, e.description or e.name)
    log.exception("unhandled error in a UI page")
    return _error_page(500, "Something went wrong", "kserve-doctor failed unexpectedly; the error is in its log.")


# -- template helpers ------------------------------------------------------------------------------


@bp.app_template_filter("kd_pretty")
def pretty(value: Any) -> str:
    """An evidence value as text: structures as indented JSON, scalars as they are."""
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False)
    if value is None:
        return "null"
    return str(value)


@bp.app_template_filter("kd_diff_lines")
def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(css class, line) for each line of a unified diff."""
    out = []
    for line in (diff or "").splitlines():
        if line.startswith(("+++", "---")):
            cls = "diff-file"
        elif line.startswith("@@"):
            cls = "diff-hunk"
        elif line.startswith("+"):
            cls = "diff-add"
        elif line.startswith("-"):
            cls = "diff-del"
        else:
            cls = "diff-ctx"
        out.append((cls, line))
    return out


@bp.app_template_filter("kd_code_spans")
def code_spans(text: str) -> list[tuple[bool, str]]:
    """(is code, text) pieces of a catalogue text that marks commands and ids with `backticks`."""
    parts = (text or "").split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: plain text
        return [(False, text or "")]
    return [(i % 2 == 1, part) for i, part in enumerate(parts) if part]


@bp.app_template_filter("kd_ref")
def object_ref(ref: dict[str, Any] | None) -> str:
    """Kind namespace/name of an object reference."""
    ref = ref or {}
    where = f"{ref['namespace']}/" if ref.get("namespace") else ""
    return f"{ref.get('kind', '')} {where}{ref.get('name', '')}".strip()


def _name_problems(namespace: str, name: str | None = None) -> dict[str, str]:
    return {k: p for k, v, what in (("namespace", namespace, "the namespace"), ("name", name, "the name"))
            if v is not None and (p := name_problem(v, what))}


# -- pages -----------------------------------------------------------------------------------------


@bp.get("/ui/<namespace>/<name>")
def diagnosis_page(namespace: str, name: str) -> ResponseReturnValue:
    problems = _name_problems(namespace, name)
    if problems:
        return _error_page(400, "Not a valid name", "; ".join(problems.values()), problems=problems)
    try:
        answer = doctor().diagnose(namespace, name)
    except ApiUnavailable as e:
        return _unavailable(e)
    if isinstance(answer, NotFoundAnswer):
        body = IsvcNotFoundSchema().dump(answer.body)
        return _page("ui/not_found.html", 404, namespace=namespace, name=name, body=body)
    diagnosis = DiagnosisSchema().dump(answer)
    catalogue = {r["id"]: r for r in remediation().catalogue()}
    previews = _previews(namespace, name, diagnosis["findings"])
    return _page("ui/diagnosis.html", d=diagnosis, catalogue=catalogue, previews=previews,
                 severities=SEVERITY_ORDER)


@bp.get("/ui/<namespace>")
def overview_page(namespace: str) -> ResponseReturnValue:
    problems = _name_problems(namespace)
    if problems:
        return _error_page(400, "Not a valid namespace", "; ".join(problems.values()), problems=problems)
    try:
        answer = doctor().overview(namespace)
    except ApiUnavailable as e:
        return _unavailable(e)
    return _page("ui/overview.html", o=NamespaceOverviewSchema().dump(answer))


def _unavailable(e: ApiUnavailable) -> ResponseReturnValue:
    return _error_page(503, "The Kubernetes API server does not answer",
                       f"kserve-doctor could not read the cluster: {e.message}. Try again in a moment.")


@bp.app_template_global("kd_offer_key")
def offer_key(offer: dict[str, Any]) -> str:
    """One preview per remediation id and parameters, however many findings offer it."""
    return json.dumps([offer["id"], offer.get("params") or {}], sort_keys=True)


def _previews(namespace: str, name: str, findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The dry-run preview of every remediation offered, or the error that refused it, by offer_key."""
    previews: dict[str, dict[str, Any]] = {}
    for finding in findings:
        for offer in finding["remediations"]:
            key = offer_key(offer)
            if key in previews:
                continue
            req = RemediateRequest(offer["id"], namespace, name, dict(offer.get("params") or {}), dry_run=True)
            try:
                result = RemediationResultSchema().dump(remediation().run(req, None))
            except ApiError as e:
                previews[key] = {"error": {"code": e.code, "message": e.message, "status": e.status}}
                continue
            previews[key] = {"result": result, "paramsJson": json.dumps(result["params"], sort_keys=True)}
    return previews
