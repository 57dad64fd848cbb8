"""Liveness and readiness: /healthz says the process answers, /readyz that the API server does."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from .schemas import HealthSchema, ReadySchema

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness.
    ---
    get:
      summary: The process answers
      responses:
        "200": {description: alive, content: {application/json: {schema: Health}}}
    """
    return jsonify(HealthSchema().dump({"status": "ok"}))


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Readiness.
    ---
    get:
      summary: The Kubernetes API server answers
      responses:
        "200": {description: ready, content: {application/json: {schema: Ready}}}
        "503": {description: the API server does not answer, content: {application/json: {schema: Error}}}
    """
    ok, detail = current_app.extensions["kserve_doctor"].ready()
    if ok:
        return jsonify(ReadySchema().dump({"status": "ok", "apiServer": detail}))
    return jsonify({"error": {"code": "API_UNAVAILABLE", "message": "the Kubernetes API server does not answer",
                              "details": {"reason": detail}}}), 503
