"""Liveness and readiness: /healthz says the process answers, /readyz that the API server does."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    ok, detail = current_app.extensions["kserve_doctor"].ready()
    if ok:
        return jsonify({"status": "ok", "apiServer": detail})
    return jsonify({"error": {"code": "API_UNAVAILABLE", "message": "the Kubernetes API server does not answer",
                              "details": {"reason": detail}}}), 503
