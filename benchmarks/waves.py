"""Section 2, parallel gathering: the diagnosis time when every API request takes 100 ms.

For each bundle, a sandbox on that bundle and gunicorn (one worker); first the diagnosis time with no
delay, then with a fault rule that delays EVERY API request by 100 ms (`PUT /_sandbox/faults`
`[{"match": {}, "delay_ms": 100}]`; a bundle's own fault rules are kept, each with the delay added, since
the first matching rule wins). The end-to-end time in units of that latency counts the round trips on
the critical path: reads made one after the other would cost one latency each.

Goal: at most 3 latencies (two waves of reads plus the logs), whatever the number of requests.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import Goal, Table, Target, fmt_ms, median, say
from .processes import Sandbox, stack, warm_up

DELAY_MS = 100
GOAL_LATENCIES = 3.0


@dataclass
class WaveResult:
    target: Target
    requests: int = 0
    base: list[float] = field(default_factory=list)      # seconds, no delay
    delayed: list[float] = field(default_factory=list)   # seconds, every request delayed
    sandbox_ms: float = math.nan                         # sum of the sandbox's ms per diagnosis, delayed
    error: str = ""

    @property
    def latencies(self) -> float:
        return median(self.delayed) / (DELAY_MS / 1000) if self.delayed else math.nan

    @property
    def net_latencies(self) -> float:
        """Round trips: the added time over the delay (the service's own work taken out)."""
        if not self.delayed or not self.base:
            return math.nan
        return (median(self.delayed) - median(self.base)) / (DELAY_MS / 1000)


def delayed_rules(existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bundle's rules, each also delayed, then the catch-all delay."""
    out: list[dict[str, Any]] = []
    for r in existing:
        rule: dict[str, Any] = {"match": r.get("match") or {}, "delay_ms": max(int(r.get("delay_ms") or 0), DELAY_MS)}
        if r.get("status"):
            rule["status"] = r["status"]
        if r.get("times") is not None:
            rule["times"] = r["times"]
        out.append(rule)
    return [*out, {"match": {}, "delay_ms": DELAY_MS}]


def measure(target: Target, workdir: Path, runs: int) -> WaveResult:
    res = WaveResult(target)
    try:
        with stack([target.bundle], workdir, workers=1, threads=4, name="waves") as (sandbox, service):
            warm_up(service, target.path)
            client = service.client()
            for _ in range(runs):
                res.base.append(client.get(target.path).seconds)
            original = sandbox.faults()
            sandbox.set_faults(delayed_rules(original))
            try:
                client.get(target.path)  # the first delayed one: connections the pool had closed meanwhile
                sums = []
                for _ in range(runs):
                    sandbox.clear_requests()
                    res.delayed.append(client.get(target.path).seconds)
                    served = sandbox.requests()
                    res.requests = len(served)
                    sums.append(sum(float(e.get("ms") or 0) for e in served) / 1000)
                res.sandbox_ms = median(sums)
            finally:
                _restore(sandbox, original)
            client.close()
    except Exception as e:
        res.error = f"{type(e).__name__}: {e}"
    return res


def _restore(sandbox: Sandbox, original: list[dict[str, Any]]) -> None:
    sandbox.set_faults([{k: v for k, v in r.items() if k != "used" and v is not None} for r in original])


def run(targets: list[Target], workdir: Path, *, quick: bool) -> list[Goal]:
    runs = 3 if quick else 7
    say(f"section 2: {len(targets)} bundles, {runs} diagnoses without and {runs} with a {DELAY_MS} ms delay")
    started = time.perf_counter()
    results = [measure(t, workdir / "waves", runs) for t in targets]
    say(f"section 2 took {time.perf_counter() - started:.0f}s")
    t = Table(f"2. Parallel gathering: every API request delayed by {DELAY_MS} ms (median of {runs}; goal <= "
              f"{GOAL_LATENCIES:g} latencies)",
              ["bundle", "API req", "no delay ms", "delayed ms", "latencies", "net latencies", "one by one ms",
               "sandbox sum ms", "goal"])
    problems = []
    for r in results:
        if r.error:
            t.add(r.target.label, "ERROR", "-", "-", "-", "-", "-", "-", "-")
            problems.append(f"{r.target.label}: {r.error}")
            continue
        t.add(r.target.label, r.requests, fmt_ms(median(r.base)), fmt_ms(median(r.delayed)),
              f"{r.latencies:.2f}", f"{r.net_latencies:.2f}", r.requests * DELAY_MS, fmt_ms(r.sandbox_ms, 0),
              "ok" if r.latencies <= GOAL_LATENCIES else "MISSED")
    t.notes.append("'latencies' = delayed time / 100 ms (the goal's measure); 'net latencies' = (delayed - no delay) "
                   "/ 100 ms, the round trips on the critical path once the service's own work is taken out")
    t.notes.append("'one by one ms' = what the same requests would cost made sequentially; 'sandbox sum ms' includes "
                   "the delays (the sandbox sleeps inside the request it times)")
    t.notes += [f"! {p}" for p in problems]
    t.print()
    ok = [r for r in results if not r.error and r.delayed]
    if not ok:
        return [Goal("2", f"<= {GOAL_LATENCIES:g} latencies with {DELAY_MS} ms per request", "nothing measured", None)]
    worst = max(ok, key=lambda r: r.latencies)
    over = [r.target.label for r in ok if r.latencies > GOAL_LATENCIES]
    return [Goal("2", f"<= {GOAL_LATENCIES:g} latencies with {DELAY_MS} ms per request",
                 f"max {worst.latencies:.2f} ({worst.target.label}; net {worst.net_latencies:.2f}); "
                 f"{len(over)}/{len(ok)} over", not over)]
