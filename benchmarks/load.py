"""Section 5, throughput and memory: 32 concurrent clients hammering one diagnosis on gunicorn.

gunicorn with WEB_CONCURRENCY=2 and GUNICORN_THREADS=8 (gthread) on one bundle; 32 client threads, each
with its own keep-alive HTTP/1.1 connection (http.client), send `GET /diagnose/<ns>/<name>` back to back
for about 20 s: diagnoses per second, latency percentiles, every error (any exception or non-200 answer;
they must be 0), the API requests per second reaching the sandbox, and the CPU each process used
(/proc utime+stime: gunicorn master+workers, the sandbox, and this client process, which share the same
two cores). Then the hammering goes on to 1,000 and (without --quick) 10,000 diagnoses in total, with the
workers' resident memory (VmRSS of gunicorn's worker processes) at start, after 1,000 and after 10,000:
growth between 1,000 and 10,000 would be a leak. Without --quick, short runs compare other
worker x thread shapes.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .common import Client, Goal, Table, Target, fmt_ms, percentile, say, target_of
from .processes import Sandbox, Service, machine_busy_seconds, stack, warm_up

CLIENTS = 32
SECONDS = 20.0
WORKERS, THREADS = 2, 8


@dataclass
class Hammer:
    count: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    reconnects: int = 0
    api_requests: int = 0
    service_cpu: float = 0.0
    sandbox_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0  # every process of the machine, ours included

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else math.nan


def hammer(service: Service, sandbox: Sandbox, path: str, *, clients: int = CLIENTS, seconds: float | None = None,
           total: int | None = None) -> Hammer:
    """`clients` threads diagnosing back to back until `seconds` passed or `total` diagnoses were sent."""
    h = Hammer()
    lock = threading.Lock()
    claimed = 0
    deadline = time.perf_counter() + seconds if seconds is not None else math.inf

    def claim() -> bool:
        nonlocal claimed
        with lock:
            if time.perf_counter() >= deadline or (total is not None and claimed >= total):
                return False
            claimed += 1
            return True

    def worker() -> None:
        client = Client(service.url, timeout=60)
        local: list[float] = []
        attempts = 0
        errors: Counter[str] = Counter()
        samples: list[str] = []
        try:
            while claim():
                attempts += 1
                try:
                    reply = client.get(path)
                except Exception as e:
                    client.close()
                    errors[type(e).__name__] += 1
                    samples.append(f"{type(e).__name__}: {e}")
                    continue
                if reply.status != 200:
                    errors[f"HTTP {reply.status}"] += 1
                    samples.append(f"HTTP {reply.status}: {reply.body[:300]!r}")
                local.append(reply.seconds)
        finally:
            client.close()
            with lock:
                h.count += attempts
                h.latencies += local
                h.errors.update(errors)
                h.samples += samples[:3]
                h.reconnects += client.reconnects

    sandbox.clear_requests()
    svc0, sb0, cl0, m0 = service.cpu_seconds(), sandbox.cpu_seconds(), time.process_time(), machine_busy_seconds()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"client-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    h.seconds = time.perf_counter() - started
    h.service_cpu = service.cpu_seconds() - svc0
    h.sandbox_cpu = sandbox.cpu_seconds() - sb0
    h.client_cpu = time.process_time() - cl0
    h.machine_cpu = machine_busy_seconds() - m0
    h.api_requests = len(sandbox.requests())
    sandbox.clear_requests()
    return h


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def run(bundle: Path, workdir: Path, *, quick: bool) -> list[Goal]:
    target = target_of(bundle)
    if target is None:
        return [Goal("5", "0 errors under 32 concurrent clients", f"{bundle} has no target", None)]
    goals = throughput_and_memory(target, workdir, quick=quick)
    if not quick:
        shapes(target, workdir)
    return goals


def throughput_and_memory(target: Target, workdir: Path, *, quick: bool) -> list[Goal]:
    checkpoints = [1000] if quick else [1000, 10000]
    say(f"section 5: {target.label} on gunicorn {WORKERS} workers x {THREADS} threads, {CLIENTS} clients, "
        f"{SECONDS:g}s, then up to {checkpoints[-1]} diagnoses")
    with stack([target.bundle], workdir / "load", workers=WORKERS, threads=THREADS, name="load") as (sandbox,
                                                                                                     service):
        pids0 = service.worker_pids()
        rss = {"start (no diagnosis yet)": service.worker_rss_kib()}
        sandbox_rss = {"start (no diagnosis yet)": sandbox.rss_kib()}
        warm_up(service, target.path, n=8)
        done = 8
        h = hammer(service, sandbox, target.path, seconds=SECONDS)
        done += h.count
        ceiling = sandbox_ceiling(sandbox, f"/api/v1/namespaces/{target.namespace}/pods?labelSelector="
                                           f"serving.kserve.io%2Finferenceservice%3D{target.name}")
        report_throughput(target, h, service, ceiling)
        more: list[Hammer] = [h]
        for cp in checkpoints:
            if done < cp:
                say(f"section 5: {done} diagnoses so far; hammering on to {cp}")
                m = hammer(service, sandbox, target.path, total=cp - done)
                done += m.count
                more.append(m)
            rss[f"after {done} diagnoses"] = service.worker_rss_kib()
            sandbox_rss[f"after {done} diagnoses"] = sandbox.rss_kib()
        pids1 = service.worker_pids()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    for m in more:
        errors.update(m.errors)
        samples += m.samples
    t = Table(f"5b. Worker memory (VmRSS of gunicorn's {WORKERS} workers; MiB)",
              ["when", *[f"worker {i + 1}" for i in range(WORKERS)], "workers sum", "sandbox"])
    sums = {}
    for when, per in rss.items():
        values = [per.get(p, 0) for p in sorted(per)]
        sums[when] = sum(values)
        t.add(when, *[_mib(v) for v in values] + ["-"] * (WORKERS - len(values)), _mib(sum(values)),
              _mib(sandbox_rss[when]))
    keys = list(sums)
    growth = []
    for a, b in itertools.pairwise(keys):
        growth.append(f"{a.split(' (')[0]} -> {b}: {(sums[b] - sums[a]) / 1024:+.1f} MiB")
    t.notes += growth
    if len(keys) >= 3:
        n = int(keys[-1].split()[1]) - int(keys[-2].split()[1])
        t.notes.append(f"steady state: {(sums[keys[-1]] - sums[keys[-2]]) / max(n, 1) * 1024:+.0f} bytes per "
                       "diagnosis over both workers (a leak would show here)")
    if pids0 != pids1:
        t.notes.append(f"! gunicorn's workers changed during the run: {pids0} -> {pids1} (a worker was restarted)")
    t.notes.append(f"errors over all {done} diagnoses: {sum(errors.values())}"
                   + (f" ({dict(errors)}; e.g. {samples[:3]})" if errors else ""))
    t.notes.append("the sandbox's request log is cleared after every phase (it keeps up to 100,000 entries)")
    t.print()
    return [Goal("5", f"0 errors under {CLIENTS} concurrent clients", f"{sum(errors.values())} in {done} diagnoses "
                 f"({h.rate:.1f}/s, p99 {fmt_ms(percentile(h.latencies, 99), 0)} ms)", not errors),
            Goal("5", "worker RSS growth (reported, no goal)", "; ".join(growth), None)]


def sandbox_ceiling(sandbox: Sandbox, path: str, *, clients: int = 16, seconds: float = 5.0) -> tuple[float, float]:
    """Requests/s the sandbox serves alone (no service) on `path`, from `clients` threads of this process each
    keeping one connection open as the service's client does; and the sandbox's CPU cores meanwhile."""
    headers = {"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"}
    done = [0] * clients
    end = time.perf_counter() + seconds

    def worker(i: int) -> None:
        conn = sandbox.connection()
        try:
            while time.perf_counter() < end:
                conn.request("GET", path, headers=headers)
                conn.getresponse().read()
                done[i] += 1
        finally:
            conn.close()

    cpu0, started = sandbox.cpu_seconds(), time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    sandbox.clear_requests()
    return sum(done) / elapsed, (sandbox.cpu_seconds() - cpu0) / elapsed


def report_throughput(target: Target, h: Hammer, service: Service, ceiling: tuple[float, float]) -> None:
    t = Table(f"5. Throughput: {CLIENTS} keep-alive clients on {target.label}, gunicorn {service.workers} workers x "
              f"{service.threads} threads, {h.seconds:.1f}s", ["measure", "value"])
    t.add("diagnoses", h.count)
    t.add("diagnoses/s", f"{h.rate:.1f}")
    for p in (50, 95, 99):
        t.add(f"latency p{p} ms", fmt_ms(percentile(h.latencies, p), 0))
    t.add("latency max ms", fmt_ms(max(h.latencies, default=math.nan), 0))
    t.add("errors", sum(h.errors.values()))
    t.add("keep-alive reconnects (not errors)", h.reconnects)
    t.add("API requests/s reaching the sandbox", f"{h.api_requests / h.seconds:.0f}")
    per = h.api_requests / max(h.count, 1)
    t.add("API requests per diagnosis", f"{per:.2f}")
    t.add("the sandbox alone: requests/s (its cores) -> diagnoses/s ceiling",
          f"{ceiling[0]:.0f} ({ceiling[1]:.2f}) -> {ceiling[0] / max(per, 1):.0f}")
    for name, cpu in (("gunicorn (master+workers)", h.service_cpu), ("sandbox", h.sandbox_cpu),
                      ("clients (this process)", h.client_cpu)):
        t.add(f"CPU {name}: cores / ms per diagnosis", f"{cpu / h.seconds:.2f} / {1000 * cpu / max(h.count, 1):.1f}")
    ours = h.service_cpu + h.sandbox_cpu + h.client_cpu
    t.add("CPU other processes of the machine: cores", f"{max(h.machine_cpu - ours, 0) / h.seconds:.2f}")
    t.add("CPU idle: cores", f"{max(os.cpu_count() or 1, 1) - h.machine_cpu / h.seconds:.2f}")
    t.notes.append(f"the three processes kept {ours / h.seconds:.2f} of the machine's {os.cpu_count()} cores busy: the "
                   "sandbox and the clients compete with the service for the same CPU, so diagnoses/s is a floor "
                   "for the service alone; 'other processes' is what else ran on the machine meanwhile")
    t.notes.append("'the sandbox alone': 16 threads of this process sending the pods list of the target to the sandbox "
                   "(no service), each thread on one kept-alive connection; divided by the requests per "
                   "diagnosis, the most diagnoses/s this sandbox could feed")
    if h.errors:
        t.notes.append(f"! errors: {dict(h.errors)}")
        t.notes += [f"! {s}" for s in h.samples[:5]]
    t.print()


SHAPES = ((1, 8), (2, 4), (4, 4))


def shapes(target: Target, workdir: Path, seconds: float = 10.0) -> None:
    """Short runs with other worker x thread shapes, for comparison with the 2 x 8 above."""
    t = Table(f"5c. Other gunicorn shapes ({CLIENTS} clients, {seconds:g}s each)",
              ["workers x threads", "diagnoses/s", "p50 ms", "p95 ms", "p99 ms", "errors", "gunicorn cores",
               "sandbox cores", "other cores"])
    for w, th in SHAPES:
        say(f"section 5: shape {w} x {th}")
        with stack([target.bundle], workdir / "load", workers=w, threads=th, name=f"shape-{w}x{th}") as (sb, svc):
            warm_up(svc, target.path, n=8)
            h = hammer(svc, sb, target.path, seconds=seconds)
        t.add(f"{w} x {th}", f"{h.rate:.1f}", fmt_ms(percentile(h.latencies, 50), 0),
              fmt_ms(percentile(h.latencies, 95), 0), fmt_ms(percentile(h.latencies, 99), 0), sum(h.errors.values()),
              f"{h.service_cpu / h.seconds:.2f}", f"{h.sandbox_cpu / h.seconds:.2f}",
              f"{max(h.machine_cpu - h.service_cpu - h.sandbox_cpu - h.client_cpu, 0) / h.seconds:.2f}")
    t.print()
