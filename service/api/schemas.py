"""The request and response bodies of the API, one named marshmallow schema each."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class RemediateRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=63),
                       metadata={"description": "the remediation id", "example": "raise-memory-limit"})
    namespace = fields.String(required=True, validate=validate.Length(min=1, max=253))
    name = fields.String(required=True, validate=validate.Length(min=1, max=253))
    params = fields.Dict(keys=fields.String(), load_default=dict,
                         metadata={"description": "the remediator's parameters (see GET /remediations)"})
    dryRun = fields.Boolean(load_default=True, truthy={True}, falsy={False},
                            metadata={"description": "preview only (the default); false applies"})
    planId = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "apply only if the plan is still exactly this one"})
