"""The request and response bodies of the API, one named marshmallow schema each.

These classes are the single source of the API contract: `openapi.yaml` is generated from them and
the routes (`python3 dev.py docs`), a test fails when the committed document drifts, and every
response is dumped through its schema.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from core.objects.names import DNS1123_LABEL
from remediations import REMEDIATORS

LABEL = validate.Regexp(DNS1123_LABEL, error="must be a DNS-1123 label")

SEVERITIES = ("critical", "error", "warning", "info")
LEVELS = ("declared", "reported", "observed")
HOP_STATUSES = ("ok", "broken", "unknown")
MODES = ("Serverless", "RawDeployment", "ModelMesh")


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "a stable machine-readable code",
                                                  "example": "INVALID_NAME"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "what the code refers to (e.g. `fields`)"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class ObjectRefSchema(Schema):
    kind = fields.String(required=True)
    name = fields.String(required=True)
    namespace = fields.String()
    apiVersion = fields.String()


class LogLinesSchema(Schema):
    container = fields.String(required=True)
    previous = fields.Boolean(required=True, metadata={"description": "the previous (terminated) instance"})
    lines = fields.List(fields.String(), required=True)
    truncated = fields.Boolean(required=True, metadata={"description": "a tail or byte cap cut the log"})
    filter = fields.String(metadata={"description": "what the lines were filtered to (controller logs)"})


class EvidenceSchema(Schema):
    level = fields.String(required=True, validate=validate.OneOf(LEVELS),
                          metadata={"description": "declared (spec), reported (status/conditions) or observed "
                                                   "(pod state, events, logs read now)"})
    object = fields.Nested(ObjectRefSchema, required=True)
    field = fields.String(metadata={"description": "the field path read, e.g. status.conditions[type=Ready]"})
    value = fields.Raw(allow_none=True, metadata={"description": "the value read (secrets redacted)"})
    log = fields.Nested(LogLinesSchema)
    note = fields.String()


class OfferSchema(Schema):
    id = fields.String(required=True, metadata={"example": "raise-memory-limit"})
    title = fields.String(required=True)
    params = fields.Dict(required=True, metadata={"description": "ready to send as POST /remediate `params`"})


class FindingSchema(Schema):
    code = fields.String(required=True, metadata={"example": "CONTAINER_OOM_KILLED"})
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    component = fields.String(required=True, metadata={"example": "predictor"})
    title = fields.String(required=True)
    explanation = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    remediations = fields.List(fields.Nested(OfferSchema), required=True)
    object = fields.Nested(ObjectRefSchema)
    causes = fields.List(fields.String(), metadata={"description": "root causes (REVISION_MISSING)"})


class TargetSchema(Schema):
    namespace = fields.String(required=True)
    name = fields.String(required=True)
    uid = fields.String(required=True)


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"description": "True, False or Unknown"})
    reason = fields.String(required=True)
    message = fields.String(required=True)
    generation = fields.Integer(allow_none=True)
    observedGeneration = fields.Integer(allow_none=True)
    stale = fields.Boolean(required=True, metadata={"description": "the status describes an older spec"})
    since = fields.String()


class TrafficSchema(Schema):
    class Meta:
        unknown = "include"

    revisionName = fields.String()
    percent = fields.Integer(allow_none=True)
    latestRevision = fields.Boolean()
    tag = fields.String()


class ComponentSchema(Schema):
    name = fields.String(required=True)
    ready = fields.String(required=True)
    reason = fields.String(required=True)
    url = fields.String(required=True)
    latestCreatedRevision = fields.String(required=True)
    latestReadyRevision = fields.String(required=True)
    traffic = fields.List(fields.Dict(), required=True)


class HopSchema(Schema):
    hop = fields.String(required=True, metadata={"example": "queue-proxy"})
    status = fields.String(required=True, validate=validate.OneOf(HOP_STATUSES))
    reason = fields.String(required=True)
    object = fields.Nested(ObjectRefSchema, required=True)
    component = fields.String()


class TraceSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    hops = fields.List(fields.Nested(HopSchema), required=True)
    brokenAt = fields.Integer(required=True, allow_none=True, metadata={"description": "index of the first broken hop"})
    brokenHop = fields.String(required=True, allow_none=True)


class ReadErrorSchema(Schema):
    what = fields.String(required=True)
    resource = fields.String(required=True)
    code = fields.Integer(required=True, metadata={"description": "HTTP status from the API server (0: no answer)"})
    reason = fields.String(required=True)
    message = fields.String(required=True)


class EvidenceMetaSchema(Schema):
    readAt = fields.String(required=True)
    ageSeconds = fields.Float(required=True, metadata={"description": "how old the evidence is (cache mode)"})
    apiRequests = fields.Integer(required=True)
    bytesRead = fields.Integer(required=True)
    truncated = fields.List(fields.String(), required=True, metadata={
        "description": "reads cut by a cap (a page of events, a log tail): what was left out"})


class DiagnosisSchema(Schema):
    target = fields.Nested(TargetSchema, required=True)
    ready = fields.Nested(ReadinessSchema, required=True)
    deploymentMode = fields.String(required=True, validate=validate.OneOf(MODES))
    url = fields.String(required=True)
    components = fields.List(fields.Nested(ComponentSchema), required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    worstSeverity = fields.String(required=True, allow_none=True)
    trace = fields.Nested(TraceSchema, required=True)
    partial = fields.Boolean(required=True, metadata={"description": "something could not be read"})
    errors = fields.List(fields.Nested(ReadErrorSchema), required=True)
    evidence = fields.Nested(EvidenceMetaSchema, required=True)


class NotFoundEvidenceSchema(Schema):
    apiRequests = fields.Integer(required=True)


class IsvcNotFoundSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)
    target = fields.Nested(TargetSchema, required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    evidence = fields.Nested(NotFoundEvidenceSchema, required=True)


class FindingSummarySchema(Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    component = fields.String(required=True)


class OverviewItemSchema(Schema):
    name = fields.String(required=True)
    ready = fields.String(required=True)
    reason = fields.String(required=True)
    stale = fields.Boolean(required=True)
    deploymentMode = fields.String(required=True, validate=validate.OneOf(MODES))
    url = fields.String(required=True)
    worstSeverity = fields.String(required=True, allow_none=True)
    codes = fields.List(fields.String(), required=True, metadata={"description": "the most severe finding codes"})
    findings = fields.List(fields.Nested(FindingSummarySchema), required=True)


class OverviewEvidenceSchema(Schema):
    readAt = fields.String(required=True)
    apiRequests = fields.Integer(required=True)
    bytesRead = fields.Integer(required=True)
    level = fields.String(required=True, metadata={"description": "status: pods, events and logs are not read"})


class NamespaceOverviewSchema(Schema):
    namespace = fields.String(required=True)
    items = fields.List(fields.Nested(OverviewItemSchema), required=True)
    partial = fields.Boolean(required=True)
    errors = fields.List(fields.Nested(ReadErrorSchema), required=True)
    evidence = fields.Nested(OverviewEvidenceSchema, required=True)


class RemediatorSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    changes = fields.String(required=True, metadata={"description": "what it changes"})
    fixes = fields.List(fields.String(), required=True, metadata={"description": "finding codes it fixes"})
    enabled = fields.Boolean(required=True, metadata={"description": "whether this deployment may apply it"})
    params = fields.Dict(required=True, metadata={"description": "JSON schema of its parameters"})
    rbac = fields.List(fields.Dict(), required=True, metadata={"description": "PolicyRules it needs to apply"})


class RemediatorListSchema(Schema):
    items = fields.List(fields.Nested(RemediatorSchema), required=True)


class RemediateRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.OneOf(sorted(REMEDIATORS)),
                       metadata={"description": "the remediation id (GET /remediations lists them)",
                                 "example": "raise-memory-limit"})
    namespace = fields.String(required=True, validate=[validate.Length(min=1, max=63), LABEL])
    name = fields.String(required=True, validate=[validate.Length(min=1, max=63), LABEL])
    params = fields.Dict(keys=fields.String(), load_default=dict,
                         metadata={"description": "the remediator's parameters (see GET /remediations)"})
    dryRun = fields.Boolean(load_default=True, truthy={True}, falsy={False},
                            metadata={"description": "preview only (the default); false applies"})
    planId = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "apply only if the plan is still exactly this one"})


class PatchOpSchema(Schema):
    class Meta:
        unknown = "include"

    op = fields.String(required=True, validate=validate.OneOf(("add", "remove", "replace", "move", "copy", "test")))
    path = fields.String(required=True)
    value = fields.Raw(allow_none=True)


class VersionedRefSchema(Schema):
    apiVersion = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    namespace = fields.String()
    resourceVersion = fields.String(required=True)


class ChangeSchema(Schema):
    object = fields.Nested(VersionedRefSchema, required=True)
    patch = fields.List(fields.Nested(PatchOpSchema), required=True, metadata={"description": "RFC 6902"})
    diff = fields.String(required=True, metadata={"description": "unified diff of the object, before and after"})


class DryRunResultSchema(Schema):
    object = fields.Nested(VersionedRefSchema, required=True)
    accepted = fields.Boolean(required=True)
    code = fields.Integer()
    reason = fields.String()
    message = fields.String()
    causes = fields.List(fields.Dict())


class DryRunVerdictSchema(Schema):
    ok = fields.Boolean(required=True, metadata={"description": "the API server accepted every patch (dryRun=All)"})
    results = fields.List(fields.Nested(DryRunResultSchema), required=True)


class RemediationResultSchema(Schema):
    id = fields.String(required=True)
    target = fields.Dict(required=True)
    dryRun = fields.Boolean(required=True)
    applied = fields.Boolean(required=True)
    noop = fields.Boolean(required=True, metadata={"description": "nothing to change"})
    planId = fields.String(required=True, metadata={"description": "fingerprint of the exact plan"})
    params = fields.Dict(required=True, metadata={"description": "the parameters as resolved"})
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    warnings = fields.List(fields.String(), required=True)
    serverDryRun = fields.Nested(DryRunVerdictSchema, required=True)


class RemediationConflictSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)
    plan = fields.Nested(RemediationResultSchema, required=True, metadata={"description": "the fresh plan"})


class RemediationRefusedSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)
    plan = fields.Nested(RemediationResultSchema, metadata={
        "description": "the plan the API server refused in its dry run (code DRY_RUN_REFUSED)"})


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    apiServer = fields.String(required=True, metadata={"description": "the API server's version"})
