"""Every error the service answers, in one JSON shape: {"error": {"code", "message", "details"}}.

Unknown routes, wrong methods, oversized bodies and unexpected exceptions included: a caller never
gets an HTML page or a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import ApiError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
               406: "NOT_ACCEPTABLE", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
               422: "UNPROCESSABLE", 429: "TOO_MANY_REQUESTS", 500: "INTERNAL", 503: "UNAVAILABLE"}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    resp.status_code = status
    return resp


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Response:
        resp = jsonify(e.body())
        resp.status_code = e.status
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        status = e.code or 500
        resp = error_response(status, _HTTP_CODES.get(status, "HTTP_ERROR"), e.description or e.name)
        valid = getattr(e, "valid_methods", None)
        if status == 405 and valid:
            resp.headers["Allow"] = ", ".join(valid)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "INTERNAL", "the service failed unexpectedly; the error is in its log")
