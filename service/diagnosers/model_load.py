"""MODEL_LOAD_FAILED: the model server started but could not load the model.

Reads: status.modelStatus (lastFailureInfo reason ModelLoadFailed, transitionStatus,
targetModelState FailedToLoad) and the serving container's state. When a more specific cause is
visible (an OOM kill, a failed download, a missing model file) the catalogue suppresses this finding
in favour of it, so it is reported only where it is the best explanation there is.
"""

from __future__ import annotations

from ..diagnosis import build
from ..diagnosis.finding import Finding
from ..evidence.snapshot import Snapshot
from ..objects import inference_service as isvclib
from ..objects.fields import dig

LOAD_FAILURE_REASONS = ("ModelLoadFailed",)


def diagnose(s: Snapshot) -> list[Finding]:
    failure = isvclib.last_failure(s.isvc)
    target = dig(s.isvc, "status", "modelStatus", "states", "targetModelState")
    if failure.get("reason") not in LOAD_FAILURE_REASONS and target != "FailedToLoad":
        return []
    if failure.get("reason") and failure.get("reason") not in LOAD_FAILURE_REASONS:
        return []  # e.g. NoSupportingRuntime: RUNTIME_NOT_FOUND's business
    message = str(failure.get("message") or "")
    last_line = next((ln for ln in reversed(message.splitlines()) if ln.strip()), "")
    args = {"component": "predictor", "reason": failure.get("reason") or f"targetModelState {target}",
            "message_suffix": build.suffix(last_line), "runtime": isvclib.runtime_name(s.isvc) or "(auto-selected)"}
    evidence = [
        build.reported(s.isvc, "status.modelStatus", {k: v for k, v in (dig(s.isvc, "status", "modelStatus") or {})
                                                        .items() if k != "lastFailureInfo"}),
        build.reported(s.isvc, "status.modelStatus.lastFailureInfo", failure or None),
    ]
    return [build.make("MODEL_LOAD_FAILED", "predictor", args, evidence, obj=s.isvc)]
