"""Diagnoses and remediation plans as text for a terminal (the CLI's default output)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

MARK = {"ok": "ok", "broken": "BROKEN", "unknown": "?"}
WIDTH = 100


def _wrap(text: str, indent: str, then: str | None = None) -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=then if then is not None else indent)


def _value(v: Any, limit: int = 160) -> str:
    text = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _evidence(e: dict[str, Any]) -> list[str]:
    obj = e.get("object") or {}
    where = f"{obj.get('kind', '')}/{obj.get('name', '')}"
    head = f"    - {e.get('level', ''):8} {where}"
    if e.get("field"):
        head += f" {e['field']}"
    lines = [head + (f": {_value(e['value'])}" if e.get("value") is not None else "")]
    if e.get("note"):
        lines.append(f"      ({e['note']})")
    log = e.get("log")
    if log:
        label = f"{'previous ' if log.get('previous') else ''}log of {log.get('container')}"
        lines.append(f"      {label}{' (truncated)' if log.get('truncated') else ''}:")
        lines += [f"      | {_value(ln, WIDTH)}" for ln in (log.get("lines") or [])[-6:]]
    return lines


def diagnosis(d: dict[str, Any]) -> str:
    t, ready = d["target"], d["ready"]
    out = [f"InferenceService {t['namespace']}/{t['name']}  mode: {d['deploymentMode']}  "
           f"Ready: {ready['status']}{' (' + ready['reason'] + ')' if ready.get('reason') else ''}"
           + ("  [STATUS IS STALE]" if ready.get("stale") else "")]
    if d.get("url"):
        out.append(f"URL: {d['url']}")
    if d.get("partial"):
        out.append("PARTIAL: some evidence could not be read:")
        out += [f"  - {e['what']}: {e['code'] or ''} {e['reason']}: {_value(e['message'])}" for e in d["errors"]]
    out.append("")
    if not d["findings"]:
        out.append("No problem found.")
    for f in d["findings"]:
        out.append(f"{f['severity'].upper():8} {f['code']}  [{f['component']}]")
        out.append(_wrap(f["title"], "  "))
        out.append(_wrap(f["explanation"], "  "))
        if f.get("causes"):
            out.append(f"  root causes: {', '.join(f['causes'])}")
        if f["evidence"]:
            out.append("  evidence:")
            for e in f["evidence"][:6]:
                out += _evidence(e)
        for r in f["remediations"]:
            params = " ".join(f"--param {k}={v}" for k, v in r["params"].items())
            out.append(f"  fix: {r['title']}")
            out.append(f"       kserve-doctor remediate {r['id']} {t['namespace']}/{t['name']} {params}".rstrip())
        out.append("")
    trace = d.get("trace") or {}
    hops = trace.get("hops") or []
    if hops:
        out.append("Request flow:")
        out.append("  " + " -> ".join(f"{h['hop']}[{MARK.get(h['status'], '?')}]" for h in hops))
        broken = trace.get("brokenAt")
        if broken is not None:
            h = hops[broken]
            where = f"{h['object']['kind']} {h['object']['name']}"
            out.append(f"  The request dies at {h['hop']} ({where}): {h['reason']}")
        else:
            out.append("  No hop is known to be broken.")
    return "\n".join(out).rstrip() + "\n"


def overview(o: dict[str, Any]) -> str:
    rows = [("NAME", "READY", "MODE", "WORST", "CODES")]
    for i in o["items"]:
        codes = ",".join(i["codes"]) or "-"
        rows.append((i["name"], i["ready"], i["deploymentMode"], i["worstSeverity"] or "-", codes))
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if o.get("partial"):
        lines.append("PARTIAL: " + "; ".join(f"{e['what']}: {e['reason']}" for e in o["errors"]))
    return "\n".join(lines) + "\n"


def plan(p: dict[str, Any]) -> str:
    out = [f"{p['id']} for {p['target']['namespace']}/{p['target']['name']}: "
           + ("APPLIED" if p["applied"] else "nothing to change" if p["noop"] else "preview (nothing changed)"),
           f"plan {p['planId']}  params: {json.dumps(p['params'], sort_keys=True)}", ""]
    for c in p["changes"]:
        o = c["object"]
        out.append(f"{o['kind']} {o.get('namespace', '') + '/' if o.get('namespace') else ''}{o['name']} "
                   f"(resourceVersion {o['resourceVersion']})")
        out.append(c["diff"].rstrip())
        out.append("")
    if p["warnings"]:
        out.append("Warnings:")
        out += [_wrap(w, "  - ", "    ") for w in p["warnings"]]
    verdict = p.get("serverDryRun") or {}
    if verdict.get("results"):
        ok = "accepted" if verdict.get("ok") else "REFUSED"
        out.append(f"API server dry run: {ok}")
        out += [f"  - {r['object']['kind']} {r['object']['name']}: {r.get('reason', '')} {r.get('message', '')}"
                for r in verdict["results"] if not r.get("accepted")]
    return "\n".join(out).rstrip() + "\n"
