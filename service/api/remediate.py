"""GET /remediations and POST /remediate: the opt-in fixes, previewed by default."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from ..errors import ApiError, Unprocessable
from ..remediate import RemediateRequest, Remediation
from .schemas import RemediateRequestSchema

bp = Blueprint("remediate", __name__)


def remediation() -> Remediation:
    return current_app.extensions["kserve_doctor_remediation"]


@bp.get("/remediations")
def list_remediations() -> ResponseReturnValue:
    return jsonify({"items": remediation().catalogue()})


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@bp.post("/remediate")
def remediate() -> ResponseReturnValue:
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
    return jsonify(remediation().run(req, bearer_token()))
