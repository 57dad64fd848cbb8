"""Remediation: preview a plan, and apply it only when everything says yes. No Flask in here.

A preview (the default) computes the plan from the objects as they are, applies it to a copy to show
the diff, and sends every patch to the API server with `dryRun=All` so that validation and admission
speak before anything is real. Applying additionally needs: the operator enabled the remediator
(KSERVE_DOCTOR_REMEDIATORS), the caller asked (`dryRun: false`) with a bearer token the API server
authenticates (TokenReview), and the API server says that very user may patch every object of the
plan (SubjectAccessReview): the service never does for a caller what the caller could not do. Every
patch tests the resourceVersion and the values it replaces, so a concurrent change makes the API
server refuse it; the caller then gets 409 with the fresh plan and nothing changed. A plan over
several objects is all-or-nothing: a failure after the first write rolls the earlier ones back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime
from typing import Any

import jsonpatch
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import ValidationError

from core.kube import Kube, Ledger
from core.kube import errors as kerr
from core.kube import resources as R
from remediations import REMEDIATORS, Plan, PlanRefused, Remediator, Target
from remediations.base import Change

from . import metrics
from .config import Settings
from .doctor import name_problem
from .errors import ApiError, Conflict, Forbidden, InvalidName, NotFound, Unauthorized, Unavailable, Unprocessable
from .evidence import redact

audit = logging.getLogger("kserve_doctor.audit")


@dataclasses.dataclass(frozen=True)
class RemediateRequest:
    id: str
    namespace: str
    name: str
    params: dict[str, Any]
    dry_run: bool = True
    plan_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Caller:
    user: str
    groups: tuple[str, ...]
    uid: str = ""


class KubeReader:
    """The Reader planners use: gets and lists through the official client, plus the operator's settings."""

    def __init__(self, kube: Kube, settings: Settings, ledger: Ledger) -> None:
        self.kube, self.ledger = kube, ledger
        self.max_memory = settings.max_memory
        self.knative_namespace = settings.knative_namespace

    def get(self, r: R.Resource, namespace: str, name: str) -> dict[str, Any]:
        return self.kube.get(r, namespace, name, ledger=self.ledger)

    def list(self, r: R.Resource, namespace: str | None, *, labels: str | None = None) -> list[dict[str, Any]]:
        return list(self.kube.list(r, namespace, labels=labels, ledger=self.ledger).get("items") or [])


def params_json_schema(rem: Remediator) -> dict[str, Any]:
    spec = APISpec("params", "1", "3.0.3", plugins=[MarshmallowPlugin()])
    return spec.plugins[0].converter.schema2jsonschema(rem.params)  # type: ignore[attr-defined]


class Remediation:
    def __init__(self, kube: Kube, settings: Settings) -> None:
        self.kube = kube
        self.settings = settings

    # -- catalogue -----------------------------------------------------------------------------

    def catalogue(self) -> list[dict[str, Any]]:
        return [{"id": r.id, "title": r.title, "changes": r.changes, "fixes": list(r.fixes),
                 "enabled": r.id in self.settings.remediators, "params": params_json_schema(r),
                 "rbac": [self._as_granted(rule) for rule in r.rbac]} for r in REMEDIATORS.values()]

    def _as_granted(self, rule: dict[str, Any]) -> dict[str, Any]:
        """A declared rule as this deployment grants it: a rule's namespace names a setting ("knative" is
        KSERVE_DOCTOR_KNATIVE_NAMESPACE), so the listing says which namespace that is here."""
        out = dict(rule)
        if "namespace" in out:
            out["namespace"] = getattr(self.settings, f"{out['namespace']}_namespace")
        return out

    # -- the request ---------------------------------------------------------------------------

    def run(self, req: RemediateRequest, token: str | None = None, *, own_credentials: bool = False
            ) -> dict[str, Any]:
        """Preview, or apply when asked and allowed.

        own_credentials: the client is the caller's own (the CLI with the user's kubeconfig), so the API
        server itself decides what the caller may change; the operator's enablement list, the token
        review and the access review, which protect a shared service, do not apply.
        """
        rem = REMEDIATORS.get(req.id)
        if rem is None:
            raise Unprocessable(f"unknown remediation id {req.id!r}", code="UNKNOWN_REMEDIATION",
                                details={"fields": {"id": f"must be one of: {', '.join(sorted(REMEDIATORS))}"}})
        problems = {k: p for k, v, what in (("namespace", req.namespace, "the namespace"),
                                            ("name", req.name, "the name")) if (p := name_problem(v, what))}
        if problems:
            raise InvalidName("; ".join(problems.values()), details={"fields": problems})
        try:
            params = rem.params().load(req.params or {})
        except ValidationError as e:
            raise Unprocessable("the parameters are not valid", details={"fields": {"params": e.messages}}) from e
        target = Target(req.namespace, req.name)
        caller = None
        if not req.dry_run and own_credentials:
            caller = Caller("kubeconfig user", ())
        elif not req.dry_run:
            caller = self._admit(rem, req, token)
        ledger = Ledger()
        plan = self._plan(rem, target, params, ledger, req, caller)
        verdict = self._server_dry_run(plan, ledger)
        body = self._body(req, plan, verdict, applied=False)
        if req.dry_run:
            self._audit("previewed", req, caller, plan)
            return body
        if req.plan_id and req.plan_id != plan.plan_id:
            self._audit("refused", req, caller, plan, "the plan changed since the preview")
            raise Conflict("the plan is no longer the one previewed: nothing was changed; review the fresh plan",
                           code="PLAN_CHANGED", details={"previewed": req.plan_id, "current": plan.plan_id},
                           extra={"plan": body})
        if plan.noop:
            self._audit("noop", req, caller, plan)
            return body
        assert caller is not None
        if not own_credentials:
            self._authorize(caller, plan, req)
        if not verdict["ok"]:
            if any(_stale(r.get("message", "") + json.dumps(r.get("causes") or [])) for r in verdict["results"]):
                self._conflict(rem, req, caller, plan, target, params, None)
            forbidden = [r for r in verdict["results"] if r.get("code") == 403]
            if forbidden:
                self._audit("refused", req, caller, plan, "kserve-doctor's service account may not make the change")
                raise Forbidden("kserve-doctor's own service account may not make this change, so nothing was "
                                "changed: the operator grants it the write with the remediator (the Helm chart's "
                                f"remediators.*.enabled): {forbidden[0].get('message', '')}", code="SERVICE_FORBIDDEN",
                                details={"results": forbidden})
            self._audit("refused", req, caller, plan, "the API server's dry run refused the plan")
            raise Unprocessable("the API server refused the plan in a dry run: nothing was changed",
                                code="DRY_RUN_REFUSED", details={"results": verdict["results"]}, extra={"plan": body})
        self._apply(rem, req, caller, plan, ledger, target, params)
        body["applied"] = True
        self._audit("applied", req, caller, plan)
        self._event(rem, req, caller, plan)
        return body

    # -- steps ---------------------------------------------------------------------------------

    def _admit(self, rem: Remediator, req: RemediateRequest, token: str | None) -> Caller:
        if req.id not in self.settings.remediators:
            self._audit("refused", req, None, None, "remediator not enabled")
            raise Forbidden(f"the operator has not enabled {req.id} for real changes (KSERVE_DOCTOR_REMEDIATORS); "
                            "previews (dryRun: true) are always available", code="REMEDIATOR_NOT_ENABLED",
                            details={"id": req.id, "enabled": sorted(self.settings.remediators)})
        if not token:
            self._audit("refused", req, None, None, "no bearer token")
            raise Unauthorized("applying a remediation needs the caller's own bearer token (Authorization: Bearer "
                               "...)", code="TOKEN_REQUIRED")
        try:
            review = self.kube.token_review(token)
        except kerr.Forbidden as e:
            raise Unavailable(f"kserve-doctor may not create TokenReviews, so it cannot check callers: {e.message}",
                              code="INSUFFICIENT_PERMISSIONS") from e
        except kerr.KubeError as e:
            raise Unavailable(f"the API server could not review the token: {e.message}") from e
        status = review.get("status") or {}
        if not status.get("authenticated"):
            self._audit("refused", req, None, None, "token not authenticated")
            raise Unauthorized("the API server does not authenticate this bearer token", code="TOKEN_INVALID",
                               details={"reason": redact.text(str(status.get("error") or ""))})
        user = status.get("user") or {}
        return Caller(str(user.get("username", "")), tuple(user.get("groups") or ()), str(user.get("uid", "")))

    def _plan(self, rem: Remediator, target: Target, params: dict[str, Any], ledger: Ledger,
              req: RemediateRequest, caller: Caller | None) -> Plan:
        try:
            return rem.plan(KubeReader(self.kube, self.settings, ledger), target, params)
        except PlanRefused as e:
            self._audit("refused", req, caller, None, e.message)
            raise Unprocessable(e.message, code="PARAMS_REFUSED", details={"fields": {f"params.{e.field}": e.message}}
                                ) from e
        except kerr.NotFound as e:
            raise NotFound(f"{e.message}", code="ISVC_NOT_FOUND" if "inferenceservices" in e.message else "NOT_FOUND",
                           details={"namespace": target.namespace, "name": target.name}) from e
        except kerr.Forbidden as e:
            raise Forbidden(f"kserve-doctor may not read what this plan needs: {e.message}",
                            code="INSUFFICIENT_PERMISSIONS") from e
        except kerr.KubeError as e:
            raise Unavailable(f"the API server could not be read: {e.message}") from e

    def _server_dry_run(self, plan: Plan, ledger: Ledger) -> dict[str, Any]:
        results = []
        for c in plan.changes:
            ref = c.ref()
            try:
                self.kube.patch(c.resource, c.namespace, c.name, c.ops, dry_run=True, ledger=ledger)
                results.append({"object": ref, "accepted": True})
            except kerr.KubeError as e:
                results.append({"object": ref, "accepted": False, "code": e.code, "reason": e.reason,
                                "message": redact.text(e.message),
                                **({"causes": e.details.get("causes")} if e.details.get("causes") else {})})
        return {"ok": all(r["accepted"] for r in results), "results": results}

    def _authorize(self, caller: Caller, plan: Plan, req: RemediateRequest) -> None:
        for c in plan.changes:
            attrs = {"verb": "patch", "group": c.resource.group, "resource": c.resource.plural, "name": c.name}
            if c.resource.namespaced:
                attrs["namespace"] = c.namespace
            try:
                review = self.kube.access_review(caller.user, caller.groups, attrs)
            except kerr.Forbidden as e:
                raise Unavailable("kserve-doctor may not create SubjectAccessReviews, so it cannot check what callers "
                                  f"may do: {e.message}", code="INSUFFICIENT_PERMISSIONS") from e
            except kerr.KubeError as e:
                raise Unavailable(f"the API server could not review the caller's access: {e.message}") from e
            if not (review.get("status") or {}).get("allowed"):
                where = f" in namespace {c.namespace}" if c.resource.namespaced else ""
                self._audit("refused", req, caller, plan, f"caller may not patch {c.resource.label}/{c.name}")
                raise Forbidden(f'User "{caller.user}" may not patch {c.resource.label} "{c.name}"{where}, so '
                                "kserve-doctor will not do it on their behalf", code="CALLER_FORBIDDEN",
                                details={"user": caller.user, "resourceAttributes": attrs})

    def _apply(self, rem: Remediator, req: RemediateRequest, caller: Caller, plan: Plan, ledger: Ledger,
               target: Target, params: dict[str, Any]) -> None:
        done: list[tuple[Change, dict[str, Any]]] = []
        for c in plan.changes:
            try:
                result = self.kube.patch(c.resource, c.namespace, c.name, c.ops, dry_run=False, ledger=ledger)
            except kerr.KubeError as e:
                self._roll_back(done)
                if isinstance(e, kerr.Conflict) or (isinstance(e, kerr.Invalid) and _stale(json.dumps(e.details)
                                                                                          + e.message)):
                    self._conflict(rem, req, caller, plan, target, params, e)
                self._audit("failed", req, caller, plan, e.message)
                raise ApiError(f"the API server refused the change: {redact.text(e.message)}; nothing was changed",
                               code="APPLY_FAILED", status=502 if e.code >= 500 or e.code == 0 else 422) from e
            done.append((c, result))

    def _conflict(self, rem: Remediator, req: RemediateRequest, caller: Caller | None, plan: Plan, target: Target,
                  params: dict[str, Any], cause: Exception | None) -> None:
        """The object changed under the plan: answer 409 with the fresh plan; never retry on the caller's behalf."""
        self._audit("conflict", req, caller, plan, "the object changed since the plan was made")
        fresh = self._plan(rem, target, params, Ledger(), req, caller)
        raise Conflict("the object changed while the fix was being applied: nothing was changed and nothing will "
                       "be retried; review the fresh plan", code="CONFLICT",
                       extra={"plan": self._body(req, fresh, self._server_dry_run(fresh, Ledger()),
                                                 applied=False)}) from cause

    def _roll_back(self, done: list[tuple[Change, dict[str, Any]]]) -> None:
        for c, result in reversed(done):
            inverse = [{"op": "test", "path": "/metadata/resourceVersion",
                        "value": (result.get("metadata") or {}).get("resourceVersion")}]
            inverse += jsonpatch.make_patch(_content(c.after), _content(c.before)).patch
            try:
                self.kube.patch(c.resource, c.namespace, c.name, inverse, dry_run=False)
            except kerr.KubeError as e:
                audit.error("rollback failed", extra={"outcome": "rollback-failed", "object": c.ref(),
                                                      "error": e.message})
                raise ApiError(f"a multi-object change failed half-way and {c.resource.kind} {c.name} could not be "
                               f"rolled back: {e.message}", code="PARTIALLY_APPLIED", status=500) from e

    def _event(self, rem: Remediator, req: RemediateRequest, caller: Caller, plan: Plan) -> None:
        """Leave a trace on the InferenceService where `kubectl describe` shows it (best effort)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            isvc = self.kube.get(R.INFERENCE_SERVICES, req.namespace, req.name)
            changed = ", ".join(f"{c.resource.kind} {c.namespace + '/' if c.namespace else ''}{c.name}"
                                for c in plan.changes)
            self.kube.create(R.EVENTS, req.namespace, {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"generateName": f"{req.name}.kserve-doctor-", "namespace": req.namespace},
                "involvedObject": {"apiVersion": R.INFERENCE_SERVICES.api_version, "kind": "InferenceService",
                                   "name": req.name, "namespace": req.namespace,
                                   "uid": (isvc.get("metadata") or {}).get("uid", ""),
                                   "resourceVersion": (isvc.get("metadata") or {}).get("resourceVersion", "")},
                "reason": "RemediationApplied", "type": "Normal",
                "message": f"kserve-doctor applied {rem.id} ({json.dumps(plan.params, sort_keys=True)}) for "
                           f"{caller.user}: patched {changed}; plan {plan.plan_id}",
                "source": {"component": "kserve-doctor"}, "reportingComponent": "kserve-doctor",
                "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            })
        except kerr.KubeError as e:
            audit.warning("the remediation event could not be recorded", extra={"error": e.message})

    # -- answers -------------------------------------------------------------------------------

    def _body(self, req: RemediateRequest, plan: Plan, verdict: dict[str, Any], *, applied: bool) -> dict[str, Any]:
        changes = []
        for c in plan.changes:
            shown = Change(c.resource, redact.obj(c.before), c.ops, redact.obj(c.after))
            changes.append({"object": c.ref(), "patch": c.ops, "diff": shown.diff()})
        return {"id": req.id, "target": {"namespace": req.namespace, "name": req.name}, "dryRun": req.dry_run,
                "applied": applied, "noop": plan.noop, "planId": plan.plan_id, "params": _jsonable(plan.params),
                "changes": changes, "warnings": plan.warnings, "serverDryRun": verdict}

    def _audit(self, outcome: str, req: RemediateRequest, caller: Caller | None, plan: Plan | None,
               reason: str = "") -> None:
        """One structured line per preview, apply and refusal: who, what, where, the patch, the outcome."""
        metrics.REMEDIATIONS.labels(req.id if req.id in REMEDIATORS else "unknown", outcome).inc()
        audit.info("remediation", extra={
            "outcome": outcome, "remediation": req.id, "dry_run": req.dry_run,
            "caller": caller.user if caller else None,
            "target": {"namespace": req.namespace, "name": req.name},
            "plan_id": plan.plan_id if plan else None,
            "patch": [{"object": c.ref(), "ops": c.ops} for c in plan.changes] if plan else [],
            "reason": reason,
        })


def _stale(text: str) -> bool:
    """A JSON patch refused because a `test` failed: the object is not the one the plan was made from."""
    return "testing value" in text


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    """What a rollback restores: everything but server-set metadata and status."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k not in ("resourceVersion", "generation", "managedFields", "uid", "creationTimestamp")}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
