"""The service describing itself: /openapi.json, /openapi.yaml and /metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from .. import metrics
from . import openapi

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(openapi.document(current_app))


@bp.get("/openapi.yaml")
def openapi_yaml() -> ResponseReturnValue:
    return Response(openapi.as_yaml(current_app), mimetype="application/yaml")


@bp.get("/metrics")
def prometheus() -> ResponseReturnValue:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)
