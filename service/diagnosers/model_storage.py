"""MODEL_NOT_FOUND_IN_STORAGE: the storage URI is missing, or holds no model file the runtime knows.

Reads: the storage-initializer's log and termination message ("does not exist", NoSuchKey, ...);
the model server's logs and termination message (sklearnserver's `StopIteration` over its candidate
file names, "model file not found", FileNotFoundError); modelStatus.lastFailureInfo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.objects import inference_service as isvclib
from core.objects import pods as podlib
from core.objects.fields import name_of

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Evidence, Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import Obj, Snapshot
from . import storage_errors

# A model server's words for a model directory without a file it can load.
NO_MODEL_FILE = re.compile(
    r"^\s*StopIteration\s*$|model file not found|No model found|Missing model file|could not find (a )?model"
    r"|FileNotFoundError|no valid model|Model .* not found|fail(ed)? to locate model|No versions of servable"
    r"|Could not find base path|does not contain a (saved ?model|model)", re.I | re.M)
# What a server that stays up without its model says at start-up (sklearnserver's "fail to locate model
# file ... trying loading from model repository", TF Serving's "No versions of servable"): stricter than
# the above, since a ready server's log also holds requests for models that do not exist.
NO_MODEL_AT_STARTUP = re.compile(
    r"fail(ed)? to locate model|model file not found|No model found|Missing model file|could not find (a )?model"
    r"|No versions of servable|Could not find base path|ModelMissingError", re.I)
# ...and what says a model was loaded after all: KServe's python servers print the line above whenever
# the file is not directly under /mnt/models, then load each sub-directory from the model repository.
LOADED_AFTERWARDS = re.compile(
    r"(Copying contents of|Successfully copied) /mnt/models/\S|Registering model|Successfully loaded servable"
    r"|\|\s*READY\s*\||\"POST /v[12]/models/[^\"]*(?:(?::|%3A)(?:predict|explain)|/infer)[^\"]*\" 2\d\d", re.I)

READS = (Reads((Need.FAILING_POD_LOGS, Need.SERVER_STARTUP_LOGS)),)



@dataclass(frozen=True)
class Source:
    where: str   # "initializer" or "server"
    pod: Obj | None
    lines: list[str]
    quote: Callable[[list[str]], Evidence]
    startup: bool = False  # the start of a ready server's log


def _sources(s: Snapshot, component: str) -> Iterator[Source]:
    for pod in topology.current_pods(s, component):
        for c in podlib.containers(pod):
            if c.name in podlib.SIDECARS:
                continue
            where = "initializer" if c.name == podlib.STORAGE_INITIALIZER else "server"
            for lg in (s.log(name_of(pod), c.name, True), s.log(name_of(pod), c.name, False)):
                if lg is not None and lg.text:
                    yield Source(where, pod, lg.lines, lambda lines, lg=lg: build.log(
                        lg, lines, "the start of the server's log" if lg.head else ""), startup=lg.head)
            for t in (c.last_terminated, c.terminated):
                if t.get("message"):
                    yield Source(where, pod, str(t["message"]).splitlines(),
                                 lambda lines, pod=pod, c=c: build.observed(
                                     pod, f"{c.path}.lastState.terminated.message", "\n".join(lines)))
    failure = isvclib.last_failure(s.target)
    if failure.get("message"):
        lines = str(failure["message"]).splitlines()
        # KServe copies the failing container's termination message here; the storage-initializer's says so
        where = "initializer" if any("initializer" in ln or "Storage.download" in ln or "Failed to fetch model" in ln
                                     for ln in lines) else "server"
        yield Source(where, None, lines, lambda ls: build.reported(
            s.target, "status.modelStatus.lastFailureInfo.message", "\n".join(ls)))


def diagnose(s: Snapshot) -> list[Finding]:
    findings = []
    for component in topology.components(s):
        uri = isvclib.storage_uri(s.target, component) or "(no storageUri)"
        for src in _sources(s, component):
            rx = (storage_errors.MISSING_AT_SOURCE if src.where == "initializer"
                  else NO_MODEL_AT_STARTUP if src.startup else NO_MODEL_FILE)
            text = "\n".join(src.lines)
            if not (m := rx.search(text)) or (src.startup and LOADED_AFTERWARDS.search(text, m.end())):
                continue
            summary = build.summary_line(src.lines, [rx.pattern])
            # a bare StopIteration is the server finding none of the file names it looks for: say so
            glossed = src.where == "server" and summary.strip() == "StopIteration"
            args = {"component": component, "storage_uri": uri,
                    "log_summary": Phrase("stop_iteration") if glossed else build.quote(summary),
                    "runtime": isvclib.runtime_name(s.target) or isvclib.model_format(s.target) or "model"}
            evidence = [build.declared(s.target, f"spec.{component}", uri, "the storage URI"),
                        src.quote(build.telling_lines(src.lines, [rx.pattern] if src.startup else
                                                      [rx.pattern, r"^Traceback", r"Error"]))]
            if src.where == "server" and not src.startup:
                evidence[-1] = src.quote(_traceback_tail(src.lines))
            variant = "default" if src.where == "initializer" else "ready" if src.startup else "server"
            findings.append(build.make(
                "MODEL_NOT_FOUND_IN_STORAGE", component, args, evidence, variant=variant, obj=src.pod or s.target))
            break
    return findings


def _traceback_tail(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("Traceback"):
            return lines[i:][-build.LOG_EVIDENCE_LINES:]
    return lines[-build.LOG_EVIDENCE_LINES:]


