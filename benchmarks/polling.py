"""Section 6, cache mode (placeholder until KSERVE_DOCTOR_CACHE=watch exists): a fleet diagnosed on a schedule.

A generated bundle of 1,000 healthy InferenceServices (`generate.fleet`, 10 namespaces of 100) is served
by one sandbox; gunicorn (2 workers x 8 threads) is started twice on it, without and with
KSERVE_DOCTOR_CACHE=watch. Each time, 32 client threads diagnose every InferenceService once per 10 s (an
offered 100 diagnoses/s, in a fixed order) for a window: the diagnoses/s achieved and how late they ran
against the schedule, the API requests per second reaching the sandbox, and the service's CPU
(/proc utime+stime of gunicorn's master and workers). Whether the cache is on is read from the answers
(`evidence.ageSeconds` > 0) and from the requests per diagnosis; when neither differs, both columns are
the uncached mode and a note says so.

Goal (of the cache, once built): far fewer API requests per second than diagnoses x requests each, for
the same CPU or less. Without it the numbers are the baseline it must beat.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .common import Client, Goal, Table, fmt_ms, median, percentile, say
from .generate import fleet, healthy_template
from .processes import Sandbox, machine_busy_seconds, start_sandbox, start_service, warm_up

COUNT, NAMESPACES, PERIOD = 1000, 10, 10.0
CLIENTS, WORKERS, THREADS = 32, 2, 8
CACHE_ENV = {"KSERVE_DOCTOR_CACHE": "watch"}


@dataclass
class Poll:
    mode: str
    window: float = 0.0
    offered: int = 0  # diagnoses the schedule had in the window
    started: int = 0  # of which started before the window closed
    done: int = 0
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    api_requests: int = 0
    api_bytes: int = 0
    watches: int = 0
    service_cpu: float = 0.0
    sandbox_cpu: float = 0.0
    ages: list[float] = field(default_factory=list)
    evidence_requests: list[int] = field(default_factory=list)
    service_start: float = math.nan
    ready: float = math.nan       # spawn to /readyz 200 (in cache mode: the informers synced)
    rss_kib: int = 0              # workers' VmRSS after the window
    startup_requests: int = 0     # API requests from spawning to ready (the informers' lists and watches)
    startup_bytes: int = 0
    machine_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.window if self.window else math.nan

    @property
    def per_diagnosis(self) -> float:
        return self.api_requests / self.done if self.done else math.nan


def poll(mode: str, sandbox: Sandbox, targets: list[tuple[str, str]], workdir: Path, env: dict[str, str],
         window: float) -> Poll:
    p = Poll(mode)
    sandbox.clear_requests()
    service = start_service(sandbox.kubeconfig, workdir, workers=WORKERS, threads=THREADS, env=env,
                            name=f"poll-{'cache' if env else 'plain'}", wait_ready=True)
    p.service_start = service.start_seconds
    p.ready = service.ready_seconds
    startup = sandbox.requests()
    p.startup_requests = len(startup)
    p.startup_bytes = sum(int(e.get("bytes") or 0) for e in startup)
    try:
        warm_up(service, f"/diagnose/{targets[0][0]}/{targets[0][1]}", n=8)
        rate = len(targets) / PERIOD
        lock = threading.Lock()
        next_k = 0
        sandbox.clear_requests()
        svc0, sb0, m0, cl0 = (service.cpu_seconds(), sandbox.cpu_seconds(), machine_busy_seconds(),
                              time.process_time())
        t0 = time.perf_counter() + 0.05
        end = t0 + window

        def worker() -> None:
            nonlocal next_k
            client = Client(service.url)
            try:
                while True:
                    with lock:
                        k = next_k
                        due = t0 + k / rate
                        if due >= end or time.perf_counter() >= end:
                            return  # the window is over: what is late is not started (it counts as missed)
                        next_k += 1
                    now = time.perf_counter()
                    if due > now:
                        time.sleep(due - now)
                    ns, name = targets[k % len(targets)]
                    began = time.perf_counter()
                    try:
                        reply = client.get(f"/diagnose/{ns}/{name}")
                    except Exception as e:
                        client.close()
                        with lock:
                            p.errors[type(e).__name__] += 1
                            p.samples.append(f"{type(e).__name__}: {e}")
                        continue
                    body = reply.json() if reply.status == 200 else None
                    with lock:
                        p.done += 1
                        p.latencies.append(reply.seconds)
                        p.lags.append(began - due)
                        if reply.status != 200:
                            p.errors[f"HTTP {reply.status}"] += 1
                            p.samples.append(f"HTTP {reply.status}: {reply.body[:200]!r}")
                        elif body:
                            ev = body.get("evidence") or {}
                            p.ages.append(float(ev.get("ageSeconds") or 0))
                            p.evidence_requests.append(int(ev.get("apiRequests") or 0))
            finally:
                client.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        p.window = max(time.perf_counter() - t0, window)
        p.offered = math.ceil(window * rate)
        p.started = next_k
        p.service_cpu = service.cpu_seconds() - svc0
        p.sandbox_cpu = sandbox.cpu_seconds() - sb0
        p.machine_cpu = machine_busy_seconds() - m0
        p.client_cpu = time.process_time() - cl0
        served = sandbox.requests()
        p.api_requests = len(served)
        p.api_bytes = sum(int(e.get("bytes") or 0) for e in served)
        p.watches = sum(1 for e in served if e.get("verb") == "watch")
        p.rss_kib = sum(service.worker_rss_kib().values())
    finally:
        service.stop()
    return p


def overview(sandbox: Sandbox, workdir: Path, namespace: str, runs: int) -> tuple[float, int, int, int]:
    """Latency, API requests, bytes and items of `GET /diagnose/<ns>` on a namespace of the fleet."""
    service = start_service(sandbox.kubeconfig, workdir, workers=1, threads=4, name="poll-overview")
    try:
        client = service.client()
        client.get(f"/diagnose/{namespace}")
        lat, reqs, size, items = [], 0, 0, 0
        for _ in range(runs):
            sandbox.clear_requests()
            reply = client.get(f"/diagnose/{namespace}")
            served = sandbox.requests()
            lat.append(reply.seconds)
            reqs, size = len(served), sum(int(e.get("bytes") or 0) for e in served)
            items = len((reply.json() or {}).get("items", []))
        client.close()
        return median(lat), reqs, size, items
    finally:
        service.stop()


def run(workdir: Path, *, quick: bool) -> list[Goal]:
    template = healthy_template()
    if template is None:
        say("section 6: no healthy template bundle (../shared/scenarios/public/healthy-sklearn-iris); skipped")
        return [Goal("6", "cache mode", "no template bundle", None)]
    window = 15.0 if quick else 40.0
    out = workdir / "fleet"
    say(f"section 6: generating {COUNT} healthy InferenceServices in {NAMESPACES} namespaces to {out}")
    started = time.perf_counter()
    fl = fleet(out, count=COUNT, namespaces=NAMESPACES, template=template)
    gen = time.perf_counter() - started
    sandbox = start_sandbox([fl.path], workdir / "poll", name="fleet-sandbox")
    try:
        say(f"section 6: fleet of {fl.objects} objects ({fl.bytes / 2**20:.0f} MiB, generated in {gen:.1f}s) loaded "
            f"by the sandbox in {sandbox.start_seconds:.1f}s; polling {window:g}s without and with {CACHE_ENV}")
        plain = poll("no cache", sandbox, fl.targets, workdir / "poll", {}, window)
        cached = poll("KSERVE_DOCTOR_CACHE=watch", sandbox, fl.targets, workdir / "poll", CACHE_ENV, window)
        ov = overview(sandbox, workdir / "poll", fl.targets[0][0], 5 if quick else 10)
    finally:
        sandbox.stop()
    return report(plain, cached, ov, fl.targets[0][0], sandbox.start_seconds)


def _cache_active(plain: Poll, cached: Poll) -> tuple[bool, str]:
    age = max(cached.ages, default=0.0)
    a, b = plain.per_diagnosis, cached.per_diagnosis
    fewer = not math.isnan(a) and not math.isnan(b) and b < 0.9 * a
    if age > 0 or fewer or cached.watches:
        return True, (f"cache active: evidence.ageSeconds up to {age:.1f}s, {b:.2f} vs {a:.2f} API requests per "
                      f"diagnosis, {cached.watches} watches")
    return False, (f"KSERVE_DOCTOR_CACHE=watch made no difference (evidence.ageSeconds always 0, {b:.2f} vs {a:.2f} "
                   "API requests per diagnosis, no watch requests): the cache is not built yet, both columns measure "
                   "the uncached service")


def report(plain: Poll, cached: Poll, ov: tuple[float, int, int, int], namespace: str,
           sandbox_start: float) -> list[Goal]:
    active, note = _cache_active(plain, cached)
    offered = COUNT / PERIOD
    t = Table(f"6. Cache mode: {COUNT} healthy InferenceServices, each diagnosed every {PERIOD:g}s (offered "
              f"{offered:g}/s), {CLIENTS} clients, gunicorn {WORKERS} x {THREADS}", ["measure", plain.mode,
                                                                                 cached.mode])
    rows = [
        ("service start to /readyz 200 s (cache: informers synced)", lambda p: f"{p.ready:.1f}"),
        ("API requests / MiB read to get ready", lambda p: f"{p.startup_requests} / {p.startup_bytes / 2**20:.1f}"),
        ("window s", lambda p: f"{p.window:.1f}"),
        ("diagnoses scheduled in the window / started", lambda p: f"{p.offered} / {p.started}"),
        ("diagnoses/s achieved", lambda p: f"{p.rate:.1f}"),
        ("kept the 10 s period", lambda p: "yes" if p.lags and percentile(p.lags, 95) < PERIOD
         and p.rate >= 0.95 * offered else "no"),
        ("schedule lag p50 / p95 s", lambda p: f"{median(p.lags):.1f} / {percentile(p.lags, 95):.1f}"),
        ("latency p50 / p95 ms", lambda p: f"{fmt_ms(median(p.latencies), 0)} / "
                                           f"{fmt_ms(percentile(p.latencies, 95), 0)}"),
        ("API requests/s reaching the sandbox", lambda p: f"{p.api_requests / p.window:.0f}"),
        ("API requests per diagnosis", lambda p: f"{p.per_diagnosis:.2f}"),
        ("API KiB/s read", lambda p: f"{p.api_bytes / 1024 / p.window:.0f}"),
        ("watch requests", lambda p: p.watches),
        ("service CPU cores (master+workers)", lambda p: f"{p.service_cpu / p.window:.2f}"),
        ("service CPU ms per diagnosis", lambda p: f"{1000 * p.service_cpu / max(p.done, 1):.1f}"),
        ("sandbox CPU cores", lambda p: f"{p.sandbox_cpu / p.window:.2f}"),
        ("CPU of other processes of the machine: cores",
         lambda p: f"{max(p.machine_cpu - p.service_cpu - p.sandbox_cpu - p.client_cpu, 0) / p.window:.2f}"),
        ("evidence.ageSeconds max", lambda p: f"{max(p.ages, default=0):.1f}"),
        (f"API requests/s at the full {offered:g}/s (per diagnosis x {offered:g})",
         lambda p: f"{p.per_diagnosis * offered:.0f}"),
        (f"service cores at the full {offered:g}/s (extrapolated)",
         lambda p: f"{p.service_cpu / max(p.done, 1) * offered:.2f}"),
        ("workers' RSS after the window MiB (sum)", lambda p: f"{p.rss_kib / 1024:.0f}"),
        ("errors", lambda p: sum(p.errors.values())),
    ]
    for label, f in rows:
        t.add(label, f(plain), f(cached))
    t.notes.append(note)
    t.notes.append("'window s' runs until the last diagnosis started in the window has answered; watch streams' bytes "
                   "are not in the sandbox's request log (only each watch request, and the lists before it)")
    t.notes.append(f"the fleet sandbox ({COUNT} InferenceServices) started in {sandbox_start:.1f}s")
    t.notes.append(f"overview GET /diagnose/{namespace} ({ov[3]} InferenceServices): {fmt_ms(ov[0], 0)} ms, "
                   f"{ov[1]} API requests, {ov[2] / 1024:.0f} KiB (grows with InferenceServices, not pods or events)")
    for p in (plain, cached):
        if p.errors:
            t.notes.append(f"! {p.mode}: errors {dict(p.errors)}, e.g. {p.samples[:3]}")
    t.print()
    return [Goal("6", "cache mode: fewer API requests/s for the same schedule",
                 f"{plain.api_requests / plain.window:.0f} vs {cached.api_requests / cached.window:.0f} req/s; "
                 f"{plain.rate:.1f} vs {cached.rate:.1f} diagnoses/s of {offered:g}/s offered"
                 + ("" if active else " (cache not built: same mode)"),
                 (cached.per_diagnosis < plain.per_diagnosis) if active else None)]
