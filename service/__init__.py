"""kserve-doctor: why a KServe InferenceService is not serving, with the evidence, and safe opt-in fixes.

`create_app()` is the application factory gunicorn serves (`gunicorn 'service:create_app()'`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import Settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by `config` (tests inject here)."""
    from .api import diagnose, errors, health, remediate
    from .doctor import Doctor
    from .remediate import Remediation

    settings = Settings.from_env(overrides=config)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    doctor = (config or {}).get("doctor") or Doctor(settings)
    app.extensions["kserve_doctor"] = doctor
    app.extensions["kserve_doctor_remediation"] = Remediation(doctor.kube, settings)
    app.extensions["kserve_doctor_settings"] = settings
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(diagnose.bp)
    app.register_blueprint(remediate.bp)
    return app
