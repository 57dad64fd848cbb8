"""The OpenAPI 3 document, generated from the marshmallow schemas and the routes' docstrings (apispec)."""

from __future__ import annotations

from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from core.objects.names import DNS1123_LABEL, MAX_LABEL

from . import schemas

# Schema classes registered under these names; routes refer to them by name.
NAMED = {
    "Error": schemas.ErrorSchema, "Diagnosis": schemas.DiagnosisSchema, "IsvcNotFound": schemas.IsvcNotFoundSchema,
    "RemediatorList": schemas.RemediatorListSchema, "RemediateRequest": schemas.RemediateRequestSchema,
    "RemediationResult": schemas.RemediationResultSchema, "RemediationConflict": schemas.RemediationConflictSchema,
    "RemediationRefused": schemas.RemediationRefusedSchema,
    "Health": schemas.HealthSchema, "Ready": schemas.ReadySchema,
    "NamespaceOverview": schemas.NamespaceOverviewSchema,
}
# Path parameters that name Kubernetes objects: their schema is the one DNS-1123 rule of core.objects.names.
NAMED_BY_DNS1123_LABEL = ("namespace", "name")
DOCUMENTED_VIEWS = ("diagnose.diagnose", "diagnose.overview", "remediate.list_remediations", "remediate.remediate",
                    "health.healthz", "health.readyz")


def _schema_name(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def build(app: Flask) -> APISpec:
    spec = APISpec(
        title="kserve-doctor", version="0.1.0", openapi_version="3.0.3",
        info={"description": "Why a KServe InferenceService is not serving, with the evidence, and safe opt-in "
                             "fixes previewed as RFC 6902 JSON patches. Every error is "
                             '`{"error": {"code", "message", "details"}}`.'},
        plugins=[FlaskPlugin(), MarshmallowPlugin(schema_name_resolver=_schema_name)],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "description": "the caller's own Kubernetes bearer token"})
    for name, schema in NAMED.items():
        spec.components.schema(name, schema=schema)
    with app.test_request_context():
        for endpoint in DOCUMENTED_VIEWS:
            spec.path(view=app.view_functions[endpoint], app=app)
    return spec


def document(app: Flask) -> dict[str, Any]:
    """The document, with every operation also answering the one error shape for anything unexpected."""
    doc = build(app).to_dict()
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", ()):
                if param.get("in") == "path" and param.get("name") in NAMED_BY_DNS1123_LABEL:
                    param["schema"] = {"type": "string", "minLength": 1, "maxLength": MAX_LABEL,
                                       "pattern": DNS1123_LABEL}
            op.setdefault("responses", {}).setdefault("default", {
                "description": "an unexpected error (the one error shape, never a traceback)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    return doc


def as_yaml(app: Flask) -> str:
    return yaml.safe_dump(document(app), sort_keys=False, width=120)
