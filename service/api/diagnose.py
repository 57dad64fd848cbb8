"""GET /diagnose/<namespace>/<name>: why an InferenceService is not serving."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from .. import metrics
from ..doctor import ApiUnavailable, Doctor, NotFoundAnswer, name_problem
from ..errors import InvalidName, Unavailable
from .schemas import DiagnosisSchema, IsvcNotFoundSchema, NamespaceOverviewSchema

bp = Blueprint("diagnose", __name__)


def doctor() -> Doctor:
    return current_app.extensions["kserve_doctor"]


def check_names(namespace: str, name: str | None = None) -> None:
    problems = {k: p for k, v, what in (("namespace", namespace, "the namespace"), ("name", name, "the name"))
                if v is not None and (p := name_problem(v, what))}
    if problems:
        metrics.DIAGNOSES.labels("invalid").inc()
        raise InvalidName("; ".join(problems.values()), details={"fields": problems})


@bp.get("/diagnose/<namespace>/<name>")
def diagnose(namespace: str, name: str) -> ResponseReturnValue:
    """Diagnose one InferenceService.
    ---
    get:
      summary: Why an InferenceService is not serving, with the evidence and the fixes on offer
      parameters:
      - in: path
        name: namespace
        required: true
        schema: {type: string}  # the DNS-1123 rule is filled in by openapi.document
      - in: path
        name: name
        required: true
        schema: {type: string}  # the DNS-1123 rule is filled in by openapi.document
      responses:
        "200":
          description: the diagnosis (partial when something could not be read)
          content: {application/json: {schema: Diagnosis}}
        "400":
          description: a malformed namespace or name (nothing was read)
          content: {application/json: {schema: Error}}
        "404":
          description: the InferenceService does not exist (code ISVC_NOT_FOUND)
          content: {application/json: {schema: IsvcNotFound}}
        "503":
          description: the Kubernetes API server does not answer
          content: {application/json: {schema: Error}}
    """
    check_names(namespace, name)
    with metrics.DIAGNOSIS_SECONDS.time():
        try:
            answer = doctor().diagnose(namespace, name)
        except ApiUnavailable as e:
            metrics.DIAGNOSES.labels("unavailable").inc()
            raise Unavailable(f"the Kubernetes API server did not answer: {e.message}") from e
    if isinstance(answer, NotFoundAnswer):
        metrics.DIAGNOSES.labels("not_found").inc()
        return jsonify(IsvcNotFoundSchema().dump(answer.body)), 404
    metrics.DIAGNOSES.labels("partial" if answer["partial"] else "complete").inc()
    for f in answer["findings"]:
        metrics.FINDINGS.labels(f["code"], f["severity"]).inc()
    return jsonify(DiagnosisSchema().dump(answer))


@bp.get("/diagnose/<namespace>")
def overview(namespace: str) -> ResponseReturnValue:
    """Every InferenceService of a namespace.
    ---
    get:
      summary: Every InferenceService of a namespace with its readiness and most severe finding codes
      description: >-
        Reads the InferenceServices, Knative services, revisions and Deployments of the namespace (a cost
        that grows with the number of InferenceServices, not with pods or events); pod-level causes show
        as the revisions report them. Diagnose one InferenceService for the full evidence.
      parameters:
      - in: path
        name: namespace
        required: true
        schema: {type: string}  # the DNS-1123 rule is filled in by openapi.document
      responses:
        "200":
          description: the overview
          content: {application/json: {schema: NamespaceOverview}}
        "400":
          description: a malformed namespace
          content: {application/json: {schema: Error}}
        "503":
          description: the Kubernetes API server does not answer
          content: {application/json: {schema: Error}}
    """
    check_names(namespace)
    try:
        answer = doctor().overview(namespace)
    except ApiUnavailable as e:
        raise Unavailable(f"the Kubernetes API server did not answer: {e.message}") from e
    return jsonify(NamespaceOverviewSchema().dump(answer))
