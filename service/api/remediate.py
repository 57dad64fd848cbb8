"""GET /remediations and POST /remediate: the opt-in fixes, previewed by default."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from ..errors import ApiError, Unprocessable
from ..remediate import RemediateRequest, Remediation
from .schemas import RemediateRequestSchema, RemediationResultSchema, RemediatorListSchema

bp = Blueprint("remediate", __name__)


def remediation() -> Remediation:
    return current_app.extensions["kserve_doctor_remediation"]


@bp.get("/remediations")
def list_remediations() -> ResponseReturnValue:
    """The remediators.
    ---
    get:
      summary: Every remediator, what it changes, its parameters and whether this deployment enabled it
      responses:
        "200": {description: the remediators, content: {application/json: {schema: RemediatorList}}}
    """
    return jsonify(RemediatorListSchema().dump({"items": remediation().catalogue()}))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@bp.post("/remediate")
def remediate() -> ResponseReturnValue:
    """Preview (default) or apply a remediation.
    ---
    post:
      summary: Preview a fix as RFC 6902 JSON patches (dryRun, the default) or apply it
      description: >-
        Applying needs the remediator enabled by the operator (KSERVE_DOCTOR_REMEDIATORS), `dryRun: false`,
        the caller's own bearer token (checked with a TokenReview) and the caller's right to patch every
        object of the plan (checked with a SubjectAccessReview).
      security: [{bearerAuth: []}, {}]
      requestBody:
        required: true
        content: {application/json: {schema: RemediateRequest}}
      responses:
        "200":
          description: the plan (and whether it was applied)
          content: {application/json: {schema: RemediationResult}}
        "400":
          description: malformed JSON or names
          content: {application/json: {schema: Error}}
        "401":
          description: no or invalid bearer token for an apply
          content: {application/json: {schema: Error}}
        "403":
          description: remediator not enabled, the caller may not make the change, or the service account may not
          content: {application/json: {schema: Error}}
        "404":
          description: the InferenceService does not exist
          content: {application/json: {schema: Error}}
        "409":
          description: the object changed; nothing was changed
          content: {application/json: {schema: RemediationConflict}}
        "413":
          description: the body is larger than 1 MiB
          content: {application/json: {schema: Error}}
        "415":
          description: the body is not JSON
          content: {application/json: {schema: Error}}
        "422":
          description: invalid fields or parameters (named in details.fields), or a plan the API server refused
          content: {application/json: {schema: RemediationRefused}}
        "503":
          description: the API server does not answer
          content: {application/json: {schema: Error}}
    """
    if not request.is_json:
        raise ApiError("the body must be JSON (Content-Type: application/json)", code="UNSUPPORTED_MEDIA_TYPE",
                       status=415)
    raw = request.get_json(silent=True)
    if raw is None:
        raise ApiError("the body is not valid JSON", code="MALFORMED_JSON", status=400)
    if not isinstance(raw, dict):
        raise Unprocessable("the body must be a JSON object", details={"fields": {"_body": "must be an object"}})
    try:
        body = RemediateRequestSchema().load(raw)
    except ValidationError as e:
        raise Unprocessable("the request is not valid", details={"fields": e.messages}) from e
    req = RemediateRequest(body["id"], body["namespace"], body["name"], body["params"], body["dryRun"],
                           body["planId"])
    return jsonify(RemediationResultSchema().dump(remediation().run(req, bearer_token())))
