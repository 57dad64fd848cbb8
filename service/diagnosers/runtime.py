"""RUNTIME_NOT_FOUND: no ServingRuntime or ClusterServingRuntime can serve the model.

KServe picks a runtime by model format (or takes the one `spec.predictor.model.runtime` names); when
none fits it creates nothing at all: no Knative service, no Deployment, no pod, and sometimes no
condition either. Reads: modelStatus.lastFailureInfo (NoSupportingRuntime, RuntimeNotRecognized,
RuntimeDisabled), the InferenceService's conditions and InternalError events ("no runtime found to
support ..."), and the runtimes installed (their names, supported formats, disabled flags).
"""

from __future__ import annotations

import re

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects.fields import as_list, dig, name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Finding
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot

REASONS = ("NoSupportingRuntime", "RuntimeNotRecognized", "RuntimeDisabled")
_EVENT = re.compile(r"no runtime found|runtime .* (does not exist|not found|is disabled)|"
                    r"specified runtime .* (does not exist|is disabled|does not support)", re.I)


def _runtime_suspected(s: Snapshot) -> bool:
    """KServe speaks of a runtime, or created nothing at all for a predictor that names a model format."""
    failure = isvclib.last_failure(s.target)
    if "runtime" in f"{failure.get('reason', '')} {failure.get('message', '')}".lower():
        return True
    if any("runtime" in str(c.get("reason", "")).lower() for c in cond.conditions(s.target)):
        return True
    return bool(s.target and not s.knative_services and not s.deployments
                and dig(s.target, "spec", "predictor", "model"))


READS = (Reads((Need.SERVING_RUNTIMES,), when=_runtime_suspected),)


def supported_formats(rt: Obj) -> list[str]:
    out = []
    for f in as_list(dig(rt, "spec", "supportedModelFormats")):
        if isinstance(f, dict) and f.get("name"):
            out.append(f"{f['name']}" + (f":{f['version']}" if f.get("version") else ""))
    return out


def protocols(rt: Obj) -> list[str]:
    return [str(p) for p in as_list(dig(rt, "spec", "protocolVersions"))] or ["v1"]


def why_not(rt: Obj, fmt: str, protocol: str, model_path: str = "spec.predictor.model") -> list[Phrase]:
    """Every reason a runtime that knows the format cannot serve this model (the code's `why` phrases, joined
    by `and`), or none when it could."""
    reasons = []
    if dig(rt, "spec", "disabled"):
        reasons.append(Phrase("disabled"))
    if protocol and protocol not in protocols(rt):
        reasons.append(Phrase.of("protocol", speaks="/".join(protocols(rt)), protocol=protocol))
    auto = [f for f in as_list(dig(rt, "spec", "supportedModelFormats"))
            if isinstance(f, dict) and f.get("name") == fmt and f.get("autoSelect")]
    if not auto:
        reasons.append(Phrase("not_auto_selected") if model_path == "spec.predictor.model" else
                       Phrase.of("not_auto_selected_old_style", model_path=model_path))
    return [part for i, r in enumerate(reasons) for part in ([Phrase("and")] if i else []) + [r]]


def diagnose(s: Snapshot) -> list[Finding]:
    failure = isvclib.last_failure(s.target)
    reasons = [c for c in cond.conditions(s.target) if c.get("reason") in REASONS]
    events = [e for e in s.events_for("InferenceService", s.name) if _EVENT.search(str(e.get("message", "")))]
    if failure.get("reason") not in REASONS and not reasons and not events:
        return []
    fmt = isvclib.model_format(s.target) or "(none given)"
    model_path, model = isvclib.predictor_model(s.target)
    protocol = str(model.get("protocolVersion") or "")
    named = isvclib.runtime_name(s.target)
    runtimes = list(s.runtimes or ())
    known = ", ".join(f"{name_of(r)} [{', '.join(supported_formats(r)) or 'no formats'}]"
                      + (" (disabled)" if dig(r, "spec", "disabled") else "") for r in runtimes)
    known_runtimes = Phrase("unread") if s.runtimes is None else Phrase.of("listed", runtimes=known) if known \
        else Phrase("none")
    knowing = [r for r in runtimes if any(f.split(":")[0] == fmt for f in supported_formats(r))]
    refused = [(name_of(r), why) for r in knowing if (why := why_not(r, fmt, protocol, model_path))]
    if s.runtimes is None:
        candidates = Phrase("unread")
    elif not knowing:
        candidates = Phrase("none_supports")
    else:
        candidates = Phrase.of("cannot_take", refusals=[
            Phrase.of("refusal" if i < len(refused) - 1 else "last_refusal", refused=name, why=why)
            for i, (name, why) in enumerate(refused)] or Phrase("none"))
    detail = str(failure.get("message") or (reasons[0].get("message") if reasons else "")
                 or (events[-1].get("message") if events else "")).strip()
    variant = "named" if named and failure.get("reason") in ("RuntimeNotRecognized", "RuntimeDisabled") else "default"
    match = next((r for r in runtimes if name_of(r) == named), None)
    problem = Phrase("disabled" if match is not None and dig(match, "spec", "disabled") else
                     "unsupported" if match is not None else "missing")
    args = {"model_format": fmt, "runtime": named, "runtime_problem": problem, "namespace": s.namespace,
            "format_sentence": Phrase.of("protocol", protocol=protocol) if protocol else Phrase("any_protocol"),
            "candidates_sentence": candidates, "known_runtimes": known_runtimes, "detail": build.quote(detail)}
    evidence = [
        build.declared(s.target, f"{model_path}.modelFormat", model.get("modelFormat"))
        if model.get("modelFormat") else build.declared(s.target, model_path, model, f"the framework key names {fmt}"),
        build.declared(s.target, f"{model_path}.runtime", named) if named else None,
        build.declared(s.target, f"{model_path}.protocolVersion", protocol) if protocol else None,
        build.reported(s.target, "status.modelStatus.lastFailureInfo", failure) if failure else None,
        *[build.condition(s.target, str(c.get("type"))) for c in reasons[:2]],
        *[build.event(e) for e in events[-1:]],
        *[build.observed(r, "spec", {"supportedModelFormats": supported_formats(r), "protocolVersions": protocols(r),
                                     "disabled": bool(dig(r, "spec", "disabled"))}, "installed runtime")
          for r in runtimes[:8]],
    ]
    return [build.make("RUNTIME_NOT_FOUND", "predictor", args, evidence, variant=variant, obj=s.target)]
