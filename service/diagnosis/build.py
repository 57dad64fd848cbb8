"""Small constructors diagnosers share: evidence from objects, conditions, events and logs; findings
rendered from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.objects import conditions as cond
from core.objects.fields import dig, name_of, namespace_of

from ..evidence.snapshot import LogExcerpt, Obj
from . import catalogue
from .finding import Evidence, Finding, Level, LogLines, ObjectRef, Severity

# How many log lines a piece of evidence quotes at most.
LOG_EVIDENCE_LINES = 20


def ref(obj: Obj) -> ObjectRef:
    return ObjectRef(str(obj.get("kind", "")), name_of(obj), namespace_of(obj), str(obj.get("apiVersion", "")))


def field(level: Level, obj: Obj, path: str, value: Any, note: str = "") -> Evidence:
    return Evidence(level, ref(obj), path, value, note=note)


def declared(obj: Obj, path: str, value: Any, note: str = "") -> Evidence:
    return field("declared", obj, path, value, note)


def reported(obj: Obj, path: str, value: Any, note: str = "") -> Evidence:
    return field("reported", obj, path, value, note)


def observed(obj: Obj, path: str, value: Any, note: str = "") -> Evidence:
    return field("observed", obj, path, value, note)


def condition(obj: Obj, type_: str, note: str = "") -> Evidence | None:
    c = cond.condition(obj, type_)
    if c is None:
        return None
    value = {k: c[k] for k in ("type", "status", "reason", "message") if c.get(k) not in (None, "")}
    return reported(obj, cond.path(type_), value, note)


def event(e: Obj) -> Evidence:
    io = e.get("involvedObject") or {}
    value = {k: e[k] for k in ("type", "reason", "message", "count", "lastTimestamp") if e.get(k) not in (None, "")}
    note = f"event about {io.get('kind', '')} {io.get('name', '')}"
    if io.get("fieldPath"):
        note += f" ({io['fieldPath']})"
    return Evidence("observed", ObjectRef("Event", name_of(e), namespace_of(e), "v1"), "", value, note=note)


def log(excerpt: LogExcerpt, lines: Sequence[str] | None = None, note: str = "") -> Evidence:
    chosen = list(lines if lines is not None else excerpt.lines)[-LOG_EVIDENCE_LINES:]
    return Evidence("observed", ObjectRef("Pod", excerpt.pod, excerpt.namespace, "v1"), "",
                    log=LogLines(excerpt.container, excerpt.previous, tuple(chosen), excerpt.truncated,
                                 excerpt.filter), note=note)


def compact(evidence: Iterable[Evidence | None]) -> tuple[Evidence, ...]:
    return tuple(e for e in evidence if e is not None)


def make(code: str, component: str, args: dict[str, Any], evidence: Iterable[Evidence | None], *,
         variant: str = "default", obj: Obj | None = None,
         severity: Severity | None = None) -> Finding:
    c = catalogue.get(code)
    title, explanation = c.render(variant, args)
    return Finding(code, severity or c.severity, component, title, explanation, compact(evidence), (),
                   ref(obj) if obj is not None else None, variant=variant, facts=dict(args))  # type: ignore[arg-type]


def suffix(message: str) -> str:
    """`: message` for templates that quote an optional condition message."""
    m = " ".join(str(message).split())
    return f": {m.rstrip('.')}" if m else ""


_NOISE = re.compile(r"^\s*(File \"|\^|~|$)")


def telling_lines(lines: Sequence[str], patterns: Sequence[str] = (), limit: int = LOG_EVIDENCE_LINES) -> list[str]:
    """The lines of a log that explain a failure: the matching ones, else the tail of the last traceback."""
    if patterns:
        rx = re.compile("|".join(patterns), re.I)
        hits = [ln for ln in lines if rx.search(ln)]
        if hits:
            return hits[-limit:]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("Traceback"):
            return list(lines[i:])[-limit:]
    return [ln for ln in lines if ln.strip()][-limit:]


def summary_line(lines: Sequence[str], patterns: Sequence[str] = ()) -> str:
    """The single most telling line: the last matching one, else the last non-noise line."""
    if patterns:
        rx = re.compile("|".join(patterns), re.I)
        hits = [ln for ln in lines if rx.search(ln)]
        if hits:
            return _trim(hits[-1])
    for ln in reversed(lines):
        if ln.strip() and not _NOISE.match(ln):
            return _trim(ln)
    return ""


def _trim(line: str, width: int = 300) -> str:
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def quote(text: str, width: int = 300) -> str:
    return f'"{_trim(text, width)}"' if text else "(nothing)"


def container_value(c: Any) -> dict[str, Any]:
    """What evidence shows of a container status: its state, last state, restarts and readiness."""
    out: dict[str, Any] = {"ready": c.ready, "restartCount": c.restarts}
    if c.waiting_reason:
        out["state"] = {"waiting": {"reason": c.waiting_reason, **({"message": c.waiting_message}
                                                                    if c.waiting_message else {})}}
    elif c.running:
        out["state"] = {"running": {}}
    elif c.terminated:
        out["state"] = {"terminated": _term(c.terminated)}
    if c.last_terminated:
        out["lastState"] = {"terminated": _term(c.last_terminated)}
    return out


def _term(t: dict[str, Any]) -> dict[str, Any]:
    out = {k: t[k] for k in ("reason", "exitCode", "finishedAt") if t.get(k) not in (None, "")}
    if t.get("message"):
        out["message"] = _trim(str(t["message"]).strip().splitlines()[-1] if str(t["message"]).strip() else "")
    return out


def pod_state(pod: Obj) -> str:
    """A short `kubectl get pods` style status (Init:CrashLoopBackOff, Pending, Running 1/2, ...)."""
    from core.objects import pods as podlib

    for c in podlib.containers(pod):
        if c.init and not c.ready:
            if c.waiting_reason and c.waiting_reason != "PodInitializing":
                return f"Init:{c.waiting_reason}"
            if c.terminated.get("exitCode"):
                return f"Init:{c.terminated.get('reason') or 'Error'}"
    for c in podlib.containers(pod):
        if not c.init and c.waiting_reason and c.waiting_reason not in ("PodInitializing", "ContainerCreating"):
            return c.waiting_reason
    regular = [c for c in podlib.containers(pod) if not c.init]
    ready = sum(1 for c in regular if c.ready)
    phase = str(dig(pod, "status", "phase", default="Unknown"))
    return f"{phase} {ready}/{len(regular)} ready" if regular else phase
