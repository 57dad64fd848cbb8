"""Section 3, flat in namespace size: the same diagnosis on a bundle and on a crowded copy of it.

The crowded copy (`generate.crowd`, written to a temporary directory; the bundle is never modified) adds
5,000 unrelated pods and 50,000 events about them to the target's namespace. For each, a sandbox and
gunicorn (one worker): the sandbox's start time (spawn to kubeconfig), then N diagnoses for the requests,
bytes and the sandbox's time per request, and N more for the latency and CPU per diagnosis; the same for
the namespace overview (`GET /diagnose/<ns>`), which reads no pods or events by design.

Goals: at most 1.5x the time and 1.5x the bytes on the crowded namespace (same requests, same findings).
The sandbox's start time is reported separately: it is the sandbox loading 55,000 objects, not the service.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import (
    Goal,
    Table,
    Target,
    fmt_kib,
    fmt_ms,
    fmt_x,
    median,
    percentile,
    ratio,
    say,
    short_resource,
    target_of,
)
from .generate import crowd
from .processes import stack, warm_up

PODS, EVENTS = 5000, 50000
GOAL_TIME, GOAL_BYTES = 1.5, 1.5
DEFAULT_BUNDLES = ("oom-exitcode137",)
FULL_BUNDLES = ("oom-exitcode137", "ingress-probe-forbidden-istio-rbac", "healthy-sklearn-iris")


@dataclass
class Variant:
    name: str
    sandbox_start: float = math.nan
    objects: int = 0
    requests: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    sandbox_ms: list[float] = field(default_factory=list)
    per_resource: dict[str, list[float]] = field(default_factory=dict)  # "verb resource" -> ms per request
    latency: list[float] = field(default_factory=list)
    service_cpu: float = math.nan
    sandbox_cpu: float = math.nan
    codes: list[str] = field(default_factory=list)
    overview_latency: list[float] = field(default_factory=list)
    overview_requests: int = 0
    overview_bytes: int = 0
    overview_items: int = 0


def measure(target: Target, bundle: Path, name: str, workdir: Path, runs: int) -> Variant:
    v = Variant(name)
    with stack([bundle], workdir, workers=1, threads=4, name=f"crowd-{name}") as (sandbox, service):
        v.sandbox_start = sandbox.start_seconds
        v.objects = int(sandbox.stats().get("objects", 0))
        warm_up(service, target.path)
        client = service.client()
        for _ in range(runs):
            sandbox.clear_requests()
            body = client.get(target.path).json() or {}
            served = sandbox.requests()
            v.codes = sorted(f.get("code", "") for f in body.get("findings", []))
            v.requests.append(len(served))
            v.bytes.append(sum(int(e.get("bytes") or 0) for e in served))
            v.sandbox_ms.append(sum(float(e.get("ms") or 0) for e in served) / 1000)
            for e in served:
                key = f"{e.get('verb')} {short_resource(e)}"
                v.per_resource.setdefault(key, []).append(float(e.get("ms") or 0) / 1000)
        svc0, sb0 = service.cpu_seconds(), sandbox.cpu_seconds()
        for _ in range(runs):
            v.latency.append(client.get(target.path).seconds)
        v.service_cpu = (service.cpu_seconds() - svc0) / runs
        v.sandbox_cpu = (sandbox.cpu_seconds() - sb0) / runs
        overview = f"/diagnose/{target.namespace}"
        client.get(overview)
        for _ in range(runs):
            sandbox.clear_requests()
            reply = client.get(overview)
            served = sandbox.requests()
            v.overview_latency.append(reply.seconds)
            v.overview_requests = len(served)
            v.overview_bytes = sum(int(e.get("bytes") or 0) for e in served)
            v.overview_items = len((reply.json() or {}).get("items", []))
        client.close()
    return v


def run(bundles: list[Path], workdir: Path, *, quick: bool) -> list[Goal]:
    runs = 10 if quick else 20
    goals: list[Goal] = []
    for bundle in bundles:
        target = target_of(bundle)
        if target is None:
            say(f"section 3: {bundle} has no expect.yaml target; skipped")
            continue
        out = workdir / "crowd" / bundle.name
        say(f"section 3: writing a crowded copy of {target.label} (+{PODS} pods, +{EVENTS} events in "
            f"{target.namespace}) to {out}")
        started = time.perf_counter()
        gen = crowd(bundle, out, pods=PODS, events=EVENTS)
        gen_seconds = time.perf_counter() - started
        say(f"section 3: generated {gen.bytes_added / 2**20:.1f} MiB in {gen_seconds:.1f}s; measuring {runs} "
            "diagnoses on each")
        try:
            plain = measure(target, bundle, "plain", workdir, runs)
            crowded = measure(target, out, "crowded", workdir, runs)
        except Exception as e:
            say(f"section 3: {target.label} failed: {type(e).__name__}: {e}")
            goals.append(Goal("3", "crowded/plain time and bytes <= 1.5x", f"{target.label}: {e}", None))
            continue
        goals += report(target, plain, crowded, runs, gen.bytes_added, gen_seconds)
    return goals


def report(target: Target, plain: Variant, crowded: Variant, runs: int, gen_bytes: int,
           gen_seconds: float) -> list[Goal]:
    lat_r = ratio(median(crowded.latency), median(plain.latency))
    bytes_r = ratio(median(crowded.bytes), median(plain.bytes))
    t = Table(f"3. Flat in namespace size: {target.label} ({target.namespace}/{target.name}), plain vs +{PODS} pods "
              f"+{EVENTS} events in {target.namespace} (median of {runs})",
              ["measure", "plain", "crowded", "ratio", "goal"])
    t.add("objects in the sandbox", plain.objects, crowded.objects, fmt_x(ratio(crowded.objects, plain.objects), 0), "")
    t.add("sandbox start s (spawn to kubeconfig)", f"{plain.sandbox_start:.2f}", f"{crowded.sandbox_start:.2f}",
          fmt_x(ratio(crowded.sandbox_start, plain.sandbox_start), 1), "(separate)")
    t.add("diagnosis ms p50", fmt_ms(median(plain.latency)), fmt_ms(median(crowded.latency)), fmt_x(lat_r),
          f"<= {GOAL_TIME}x {'ok' if lat_r <= GOAL_TIME else 'MISSED'}")
    t.add("diagnosis ms p90", fmt_ms(percentile(plain.latency, 90)), fmt_ms(percentile(crowded.latency, 90)),
          fmt_x(ratio(percentile(crowded.latency, 90), percentile(plain.latency, 90))), "")
    t.add("API requests", f"{median(plain.requests):.0f}", f"{median(crowded.requests):.0f}",
          fmt_x(ratio(median(crowded.requests), median(plain.requests))), "same")
    t.add("KiB read", fmt_kib(median(plain.bytes)), fmt_kib(median(crowded.bytes)), fmt_x(bytes_r),
          f"<= {GOAL_BYTES}x {'ok' if bytes_r <= GOAL_BYTES else 'MISSED'}")
    t.add("sandbox sum ms per diagnosis", fmt_ms(median(plain.sandbox_ms), 2), fmt_ms(median(crowded.sandbox_ms), 2),
          fmt_x(ratio(median(crowded.sandbox_ms), median(plain.sandbox_ms))), "")
    t.add("service CPU ms per diagnosis", fmt_ms(plain.service_cpu), fmt_ms(crowded.service_cpu),
          fmt_x(ratio(crowded.service_cpu, plain.service_cpu)), "")
    t.add("sandbox CPU ms per diagnosis", fmt_ms(plain.sandbox_cpu), fmt_ms(crowded.sandbox_cpu),
          fmt_x(ratio(crowded.sandbox_cpu, plain.sandbox_cpu)), "")
    t.add("findings", ",".join(plain.codes) or "(none)", ",".join(crowded.codes) or "(none)", "",
          "same" if plain.codes == crowded.codes else "DIFFERENT")
    t.add(f"overview /diagnose/{target.namespace} ms p50", fmt_ms(median(plain.overview_latency)),
          fmt_ms(median(crowded.overview_latency)),
          fmt_x(ratio(median(crowded.overview_latency), median(plain.overview_latency))), "")
    t.add("overview API requests / KiB", f"{plain.overview_requests}/{fmt_kib(plain.overview_bytes)}",
          f"{crowded.overview_requests}/{fmt_kib(crowded.overview_bytes)}",
          fmt_x(ratio(crowded.overview_bytes, plain.overview_bytes)), "")
    t.notes.append(f"the crowded copy adds {gen_bytes / 2**20:.1f} MiB to cluster.yaml (generated in "
                   f"{gen_seconds:.1f}s); the sandbox's start time is its loading, not the service's")
    grown = {k: median(crowded.per_resource[k]) - median(plain.per_resource[k])
             for k in crowded.per_resource if k in plain.per_resource}
    if grown:
        worst = max(grown, key=lambda k: grown[k])
        adjusted = ratio(median(crowded.latency) - grown[worst], median(plain.latency))
        t.notes.append(f"the sandbox's '{worst}' grew by {fmt_ms(grown[worst])} ms (table 3b); all of a wave waits for "
                       f"its slowest read, so without that growth the time ratio would be about {fmt_x(adjusted)}")
    t.print()
    keys = sorted(set(plain.per_resource) | set(crowded.per_resource),
                  key=lambda k: -median(crowded.per_resource.get(k, [0])))
    d = Table(f"3b. {target.label}: the sandbox's time per request, plain vs crowded (median ms)",
              ["request", "n/diag", "plain ms", "crowded ms", "ratio"])
    for k in keys:
        p, c = plain.per_resource.get(k, []), crowded.per_resource.get(k, [])
        d.add(k, f"{len(c) / runs:g}", fmt_ms(median(p), 2), fmt_ms(median(c), 2),
              fmt_x(ratio(median(c), median(p)), 1))
    d.print()
    same = plain.codes == crowded.codes and median(plain.requests) == median(crowded.requests)
    return [Goal("3", f"crowded/plain diagnosis time <= {GOAL_TIME}x", f"{fmt_x(lat_r)} ({target.label})",
                 lat_r <= GOAL_TIME),
            Goal("3", f"crowded/plain bytes read <= {GOAL_BYTES}x (same requests, same findings)",
                 f"{fmt_x(bytes_r)} ({target.label}){'' if same else '; requests or findings DIFFER'}",
                 bytes_r <= GOAL_BYTES and same)]
