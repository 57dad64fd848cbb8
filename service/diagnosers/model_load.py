"""MODEL_LOAD_FAILED: the model server started but could not load the model.

KServe writes modelStatus.lastFailureInfo reason ModelLoadFailed whenever the model container exits,
whatever the cause (a missing environment variable, an import error in the server itself), so the
reason alone proves nothing. This finding needs the server's own words about loading: a log line or
termination message such as "failed to load", an unpickling traceback, a framework's load error.
Reads: modelStatus, and the logs and termination messages of the predictor's current pods' serving
containers (modelStatus is about the predictor's model only).
When a more specific cause is visible (an OOM kill, a failed download, a missing model file) the
catalogue suppresses this finding in favour of it.
"""

from __future__ import annotations

import re

from core.objects import inference_service as isvclib
from core.objects import pods as podlib
from core.objects.fields import dig, name_of

from ..diagnosis import build
from ..diagnosis.finding import Evidence, Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Snapshot

LOAD_FAILURE = re.compile(
    r"failed to load|unable to load|could not load|cannot load|error (while )?loading|load(ing)? (the )?model.*"
    r"(fail|error)|ModelMissingError|unpickl|pickle\.py|joblib|torch\.load|PytorchStreamReader|TorchScript|"
    r"XGBoostError|LightGBMError|SavedModel|servable .* (fail|error)|model_load|\.load_model\(|"
    r"incompatible (model|version)|Invalid model", re.I)
# What a server that stays up after failing to load says (TorchServe retries its worker, TF Serving and
# Triton keep serving without the model): strict, since a healthy start-up talks about loading too...
LOAD_FAILED_AT_STARTUP = re.compile(
    r"Load model failed|Failed to load servable|failed to load '[^']+'|Failed to initialize handler"
    r"|Backend worker (process )?died", re.I)
# ...and cancelled when the model is loaded after all.
LOADED_AFTERWARDS = re.compile(r"Model \S+ loaded\.|Successfully loaded servable|\|\s*READY\s*\|", re.I)

READS = (Reads((Need.FAILING_POD_LOGS, Need.SERVER_STARTUP_LOGS)),)



def diagnose(s: Snapshot) -> list[Finding]:
    failure = isvclib.last_failure(s.target)
    target = dig(s.target, "status", "modelStatus", "states", "targetModelState")
    if failure.get("reason") and failure.get("reason") != "ModelLoadFailed":
        return []  # e.g. NoSupportingRuntime: RUNTIME_NOT_FOUND's business
    quote: Evidence | None = None
    lines: list[str] = []
    # modelStatus describes the predictor alone; a transformer or explainer that fails at start-up is a
    # crash of that component (CONTAINER_CRASH_LOOP), not the model failing to load
    for component in [c for c in topology.components(s) if c == "predictor"]:
        for pod in topology.current_pods(s, component):
            for c in podlib.containers(pod):
                if c.init or not podlib.is_serving_container(c.name):
                    continue
                for lg in (s.log(name_of(pod), c.name, True), s.log(name_of(pod), c.name, False)):
                    if lg is not None and lg.head:
                        # a ready server's start-up mentions loading as a matter of course: only its strict
                        # words count, and only when no model was loaded after them
                        m = LOAD_FAILED_AT_STARTUP.search(lg.text)
                        if m and not LOADED_AFTERWARDS.search(lg.text, m.end()) and quote is None:
                            lines = [ln for ln in lg.lines if LOAD_FAILED_AT_STARTUP.search(ln)]
                            quote = build.log(lg, build.telling_lines(lg.lines, [LOAD_FAILED_AT_STARTUP.pattern,
                                                                                 r"Error:"]),
                                              "the start of the server's log")
                        continue
                    hits = [ln for ln in (lg.lines if lg else []) if LOAD_FAILURE.search(ln)]
                    if hits and quote is None:
                        lines, quote = hits, build.log(lg, build.telling_lines(lg.lines, [LOAD_FAILURE.pattern]))
                for t in (c.last_terminated, c.terminated):
                    msg = str(t.get("message") or "")
                    hits = [ln for ln in msg.splitlines() if LOAD_FAILURE.search(ln)]
                    if hits and quote is None:
                        lines, quote = hits, build.observed(pod, f"{c.path}.lastState.terminated.message", msg)
    message = str(failure.get("message") or "")
    if quote is None and LOAD_FAILURE.search(message):
        lines = [ln for ln in message.splitlines() if LOAD_FAILURE.search(ln)]
        quote = build.reported(s.target, "status.modelStatus.lastFailureInfo.message", message)
    if quote is None or (failure.get("reason") != "ModelLoadFailed" and target != "FailedToLoad"
                         and not lines):
        return []
    last = build.summary_line(lines) if lines else ""
    args = {"component": "predictor", "reason": failure.get("reason") or f"targetModelState {target}",
            "message_suffix": build.suffix(last), "runtime": isvclib.runtime_name(s.target) or "(auto-selected)"}
    evidence = [
        quote,
        build.reported(s.target, "status.modelStatus", {k: v for k, v in (dig(s.target, "status", "modelStatus") or {})
                                                        .items() if k != "lastFailureInfo"}),
        build.reported(s.target, "status.modelStatus.lastFailureInfo",
                       {k: v for k, v in failure.items() if k != "message"} or None),
    ]
    return [build.make("MODEL_LOAD_FAILED", "predictor", args, evidence, obj=s.target)]
