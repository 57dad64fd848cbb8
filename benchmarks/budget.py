"""Section 1, the request budget: what one diagnosis costs the API server, per bundle.

For each bundle, a sandbox on that bundle alone and gunicorn (one worker) pointed at it. After warm-up
diagnoses (connections, lazy imports), N diagnoses each between a clear and a read of the sandbox's
`/_sandbox/requests`: the API requests and response bytes the sandbox served (nothing else talks to it
meanwhile, so they are the service's), cross-checked with the diagnosis body's `evidence.apiRequests` /
`evidence.bytesRead`. Then N more diagnoses back to back for the latency (median) and the CPU time each
process spent per diagnosis (/proc utime+stime). The sandbox's own time (the sum of its per-request `ms`,
and the slowest request) is printed next to the service's latency: it is a small part of it, so the
latency is the service's.

Goals (from the "fast at any namespace size" issue): a fixed, small number of requests per diagnosis
(at most `KSERVE_DOCTOR_MAX_REQUESTS`, 20), and evidence that agrees with what the server served.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import Goal, Table, Target, fmt_kib, fmt_ms, kind_counts, median, resource_of, say, short_resource
from .processes import stack, start_sandbox, warm_up

MAX_REQUESTS = 20


@dataclass
class BundleResult:
    target: Target
    status: int = 0
    codes: list[str] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)       # per diagnosis, from the sandbox
    bytes: list[int] = field(default_factory=list)
    evidence_requests: list[int] = field(default_factory=list)
    evidence_bytes: list[int] = field(default_factory=list)
    sandbox_ms: list[float] = field(default_factory=list)   # sum of per-request ms, per diagnosis
    sandbox_max_ms: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)      # seconds, client side
    service_cpu: float = math.nan                           # seconds per diagnosis
    sandbox_cpu: float = math.nan
    kinds: dict[str, int] = field(default_factory=dict)
    non_2xx: dict[str, int] = field(default_factory=dict)   # "code resource" -> count per diagnosis
    reads: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def consistent(self) -> bool:
        """Every diagnosis made the same number of requests, and the evidence agrees with the sandbox."""
        if not self.requests:
            return False
        same = len(set(self.requests)) == 1
        req_ok = not self.evidence_requests or self.evidence_requests == self.requests
        bytes_ok = not self.evidence_bytes or self.evidence_bytes == self.bytes
        return same and req_ok and bytes_ok


def measure(target: Target, workdir: Path, runs: int) -> BundleResult:
    res = BundleResult(target)
    try:
        with stack([target.bundle], workdir, workers=1, threads=4, name="budget") as (sandbox, service):
            warm_up(service, target.path)
            client = service.client()
            for _ in range(runs):
                sandbox.clear_requests()
                reply = client.get(target.path)
                served = sandbox.requests()
                body = reply.json() or {}
                res.status = reply.status
                res.codes = [f.get("code", "") for f in body.get("findings", [])]
                ev = body.get("evidence") or {}
                res.requests.append(len(served))
                res.bytes.append(sum(int(e.get("bytes") or 0) for e in served))
                if "apiRequests" in ev:
                    res.evidence_requests.append(int(ev["apiRequests"]))
                if "bytesRead" in ev:
                    res.evidence_bytes.append(int(ev["bytesRead"]))
                ms = [float(e.get("ms") or 0) for e in served]
                res.sandbox_ms.append(sum(ms) / 1000)
                res.sandbox_max_ms.append(max(ms, default=0) / 1000)
                res.kinds = kind_counts(served)
                res.non_2xx = {}
                for e in served:
                    if int(e.get("code") or 0) >= 300:
                        key = f"{e.get('code')} {e.get('verb')} {resource_of(e)}"
                        res.non_2xx[key] = res.non_2xx.get(key, 0) + 1
                res.reads = [f"{e.get('verb')} {short_resource(e)}" for e in served]
            svc0, sb0 = service.cpu_seconds(), sandbox.cpu_seconds()
            for _ in range(runs):
                res.latency.append(client.get(target.path).seconds)
            res.service_cpu = (service.cpu_seconds() - svc0) / runs
            res.sandbox_cpu = (sandbox.cpu_seconds() - sb0) / runs
            client.close()
    except Exception as e:  # a bundle that cannot be measured is reported, not fatal
        res.error = f"{type(e).__name__}: {e}"
    return res


def run(targets: list[Target], workdir: Path, *, quick: bool) -> list[Goal]:
    runs = 10 if quick else 30
    say(f"section 1: {len(targets)} bundles, {runs} diagnoses each for the counts and {runs} for the latency")
    results = []
    started = time.perf_counter()
    for t in targets:
        results.append(measure(t, workdir / "budget", runs))
    say(f"section 1 took {time.perf_counter() - started:.0f}s")
    report(results, runs)
    if targets:
        connections(targets[0], workdir / "budget", results)
    return goals(results)


def connections(target: Target, workdir: Path, results: list[BundleResult]) -> None:
    """What a new connection to the sandbox costs, and whether it keeps connections open (a real API server
    does: HTTP/1.1 keep-alive or HTTP/2), since a closed connection means a TLS handshake per API request."""
    sandbox = start_sandbox([target.bundle], workdir, name="probe")
    try:
        p = sandbox.probe_connections()
    finally:
        sandbox.stop()
    reqs = [median(r.requests) for r in results if r.requests]
    per_diag = statistics.median(reqs) if reqs else math.nan
    t = Table("1c. Connections to the sandbox (50 x GET /version on new TLS connections, 50 on one kept-alive "
              "connection; medians)", ["measure", "value"])
    t.add("Connection header the sandbox answers", p.connection_header)
    t.add("the connection is kept for the next request", "yes" if p.keeps_alive else "no")
    t.add("ms per request on a new TLS connection, all included", fmt_ms(p.new_wall, 2))
    t.add("ms to connect and complete the TLS handshake", fmt_ms(p.handshake, 2))
    t.add("ms from sending the request to the status line", fmt_ms(p.first_byte, 2))
    t.add("ms per request on a kept-alive connection", fmt_ms(p.reused_wall, 2))
    t.add("ms the sandbox's request log ('ms') says a request took", fmt_ms(p.logged, 2))
    t.add("client CPU ms per request on a new connection (handshake included)", fmt_ms(p.client_cpu, 2))
    if not p.keeps_alive:
        t.notes.append(f"! the sandbox closes every connection: a diagnosis of {per_diag:.0f} API requests (median) "
                       f"opens {per_diag:.0f} TLS connections, about {per_diag * p.client_cpu * 1000:.0f} ms of client "
                       "CPU by this probe's measure; a real API server keeps them open")
    else:
        t.notes.append("the service's client (urllib3 under the kubernetes client) keeps a pool of connections, so a "
                       "diagnosis pays the handshake only when its wave needs more connections than the pool holds")
    t.print()


def _one(values: list[int]) -> str:
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}..{hi}"


def report(results: list[BundleResult], runs: int) -> None:
    t = Table("1. Request budget per diagnosis (one sandbox + gunicorn -w 1 per bundle; "
              f"counts over {runs} diagnoses, latency median of {runs})",
              ["bundle", "HTTP", "API req", "evid req", "KiB read", "evid KiB", "agree",
               "get", "list", "events", "logs", "diag ms p50", "sandbox sum ms", "sandbox max ms", "sandbox %",
               "svc CPU ms", "sandbox CPU ms"])
    problems: list[str] = []
    infos: list[str] = []
    for r in results:
        if r.error:
            t.add(r.target.label, "ERROR", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-")
            problems.append(f"{r.target.label}: {r.error}")
            continue
        lat = median(r.latency)
        sb = median(r.sandbox_ms)
        k = r.kinds
        t.add(r.target.label, r.status, _one(r.requests), _one(r.evidence_requests),
              fmt_kib(median(r.bytes)), fmt_kib(median(r.evidence_bytes)) if r.evidence_bytes else "-",
              "yes" if r.consistent else "NO", k.get("get", 0), k.get("list", 0), k.get("events", 0),
              k.get("logs", 0), fmt_ms(lat), fmt_ms(sb, 2), fmt_ms(median(r.sandbox_max_ms), 2),
              f"{100 * sb / lat:.0f}%" if lat else "-", fmt_ms(r.service_cpu), fmt_ms(r.sandbox_cpu))
        if r.status != r.target.status:
            problems.append(f"{r.target.label}: HTTP {r.status}, expect.yaml says {r.target.status}")
        if not r.consistent:
            problems.append(f"{r.target.label}: sandbox counted {_one(r.requests)} requests / "
                            f"{_one(r.bytes)} bytes, evidence said {_one(r.evidence_requests)} / "
                            f"{_one(r.evidence_bytes)}")
        if r.requests and max(r.requests) > MAX_REQUESTS:
            problems.append(f"{r.target.label}: {max(r.requests)} requests, above the cap of {MAX_REQUESTS}")
        for key, n in r.non_2xx.items():
            infos.append(f"{r.target.label}: {n} x HTTP {key} per diagnosis")
    ok = [r for r in results if not r.error and r.requests]
    if ok:
        reqs = [median(r.requests) for r in ok]
        lats = [median(r.latency) for r in ok]
        shares = [median(r.sandbox_ms) / median(r.latency) for r in ok if median(r.latency)]
        t.notes.append(f"requests per diagnosis: min {min(reqs):.0f}, median {statistics.median(reqs):.0f}, "
                       f"max {max(reqs):.0f} (cap {MAX_REQUESTS}); latency median over bundles "
                       f"{fmt_ms(statistics.median(lats))} ms")
        lo, hi = f"{100 * min(shares):.0f}", f"{100 * max(shares):.0f}"
        share = lo if lo == hi else f"{lo}-{hi}"
        t.notes.append(f"the sandbox's logged time ('sandbox sum ms', its WSGI app) is {share}% of the latency; "
                       "its connection handling is not in it (table 1c): 'svc CPU ms' is the service's own cost, "
                       "the latency also holds the sandbox's per-connection floor once per wave")
        t.notes.append("'API req'/'KiB read': served by the sandbox between a clear and a read of /_sandbox/requests "
                       "(only the service talks to it); 'evid': the diagnosis body's evidence.apiRequests/bytesRead")
        t.notes.append("'svc CPU ms'/'sandbox CPU ms': utime+stime per diagnosis of gunicorn (master+worker) and of "
                       "the sandbox process")
    t.notes += [f"non-2xx answers (the scenario's 404s, missing optional APIs, fault rules): {i}" for i in infos]
    t.notes += [f"! {p}" for p in problems]
    t.print()
    if ok:
        d = Table("1b. Reads per diagnosis (verb and resource, in the order the sandbox finished them)",
                  ["bundle", "n", "reads"])
        for r in ok:
            counts: dict[str, int] = {}
            for read in r.reads:
                counts[read] = counts.get(read, 0) + 1
            d.add(r.target.label, len(r.reads), ", ".join(f"{k} x{n}" if n > 1 else k for k, n in counts.items()))
        d.print()


def goals(results: list[BundleResult]) -> list[Goal]:
    ok = [r for r in results if not r.error and r.requests]
    if not ok:
        return [Goal("1", f"<= {MAX_REQUESTS} API requests per diagnosis", "nothing measured", None)]
    worst = max(ok, key=lambda r: max(r.requests))
    disagree = [r.target.label for r in ok if not r.consistent]
    return [
        Goal("1", f"<= {MAX_REQUESTS} API requests per diagnosis, fixed per bundle",
             f"max {max(worst.requests)} ({worst.target.label})",
             max(worst.requests) <= MAX_REQUESTS and all(len(set(r.requests)) == 1 for r in ok)),
        Goal("1", "evidence.apiRequests/bytesRead = what the sandbox served",
             f"{len(ok) - len(disagree)}/{len(ok)} bundles agree" + (f" (not: {', '.join(disagree)})" if disagree
                                                                     else ""), not disagree),
    ]
