"""The application factory: settings, the core objects, the blueprints, and what every request records."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from . import logs, metrics
from .api import diagnose, errors, health, meta, remediate, ui
from .config import Settings
from .doctor import Doctor
from .remediate import Remediation

access = logging.getLogger("kserve_doctor.access")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config` (tests inject here)."""
    settings = Settings.from_env(overrides=config)
    logs.configure(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    doctor = (config or {}).get("doctor") or Doctor(settings)
    doctor.kube.on_request = metrics.kube_request
    app.extensions["kserve_doctor"] = doctor
    app.extensions["kserve_doctor_remediation"] = Remediation(doctor.kube, settings)
    app.extensions["kserve_doctor_settings"] = settings
    errors.register(app)
    for bp in (health.bp, diagnose.bp, remediate.bp, meta.bp, ui.bp):
        app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.request_id = logs.request_id_from(request.headers.get("X-Request-ID"))

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        origin = request.headers.get("Origin")
        if origin and origin in settings.cors_origins:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
            resp.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, X-Request-ID"
            resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, route, str(resp.status_code)).inc()
        access.info("request", extra={"method": request.method, "route": route, "status": resp.status_code,
                                      "duration_ms": round((time.perf_counter() - g.get("started", 0)) * 1000, 1)})
        return resp

    return app
