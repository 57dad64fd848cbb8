"""`python -m benchmarks [--quick] [--only SECTION ...] [--bundles DIR ...]` (what `python3 dev.py bench` runs).

The benchmark of the "fast at any namespace size" issue: the sandbox (`python -m sandbox`) and the service
(`gunicorn 'service:create_app()'`) always run as separate processes, talking HTTP; every section prints a
plain-text table with its goal next to the numbers, and a last table gathers the goals. Nothing here is
asserted: the tests do not run it.

Sections (`--only` takes the name or the number, repeatable or comma-separated):
  1 budget   API requests, bytes, latency and the sandbox's own time, per bundle
  2 waves    every API request delayed 100 ms: end-to-end time in latencies (goal <= 3)
  3 crowd    plain vs +5,000 pods +50,000 events in the namespace (goals <= 1.5x time and bytes)
  4 walk     the debugging guide's kubectl commands vs one diagnosis (goal >= 10x), cold and warm kubectl
  5 load     32 clients on gunicorn 2 x 8: diagnoses/s, p50/p95/p99, errors (0), worker RSS to 10,000 diagnoses
  6 polling  1,000 InferenceServices every 10 s, without and with KSERVE_DOCTOR_CACHE=watch

--quick: fewer repetitions, RSS to 1,000 diagnoses only, short polling windows (about 10 minutes on 2 cores;
the full run about 30).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import budget, crowd, load, manual_walk, polling, waves
from .common import OWN, PUBLIC, Goal, Table, find_bundles, public_bundle, targets, verdict
from .processes import STOPS, load_average

SECTIONS = ("budget", "waves", "crowd", "walk", "load", "polling")


def _sections(values: list[str] | None) -> list[str]:
    if not values:
        return list(SECTIONS)
    out = []
    for v in ",".join(values).split(","):
        v = v.strip().lower()
        if not v:
            continue
        if v.isdigit() and 1 <= int(v) <= len(SECTIONS):
            v = SECTIONS[int(v) - 1]
        if v not in SECTIONS:
            raise SystemExit(f"unknown section {v!r}: one of {', '.join(SECTIONS)} or 1-{len(SECTIONS)}")
        if v not in out:
            out.append(v)
    return out


def _named(names: tuple[str, ...], fallback: list[Path]) -> list[Path]:
    found = [p for n in names if (p := public_bundle(n)) is not None]
    return found or fallback[:1]


def _header(args: argparse.Namespace, workdir: Path) -> None:
    kubectl = shutil.which("kubectl")
    kv = ""
    if kubectl:
        try:
            kv = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True,
                                timeout=20).stdout.splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            kv = "?"
    print(f"kserve-doctor benchmarks ({'quick' if args.quick else 'full'}): {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.platform()}, kubectl: {kv or 'not on PATH'}")
    print(f"work directory: {workdir}; load average at start: {load_average()}\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[6:]))
    ap.add_argument("--quick", action="store_true", help="fewer repetitions; RSS to 1,000 diagnoses only")
    ap.add_argument("--only", action="append", metavar="SECTION", help="run only these sections (name or number)")
    ap.add_argument("--bundles", nargs="+", type=Path, metavar="DIR",
                    help=f"bundles for sections 1-2: each DIR a bundle or a folder of bundles (default {PUBLIC})")
    ap.add_argument("--own", action="store_true", help=f"also the project's own bundles ({OWN}) in sections 1-2")
    ap.add_argument("--focus", type=Path, metavar="DIR",
                    help="the bundle of sections 3, 4 and 5 (default: public oom-exitcode137, plus others in full)")
    ap.add_argument("--workdir", type=Path, help="where generated bundles, kubeconfigs and logs go (kept)")
    args = ap.parse_args(argv)
    sections = _sections(args.only)

    dirs = list(args.bundles or ([PUBLIC] if PUBLIC.is_dir() else [OWN]))
    if args.own:
        dirs.append(OWN)
    all_targets = targets(dirs)
    bundles = find_bundles(dirs)
    if args.focus:
        focus_many = focus_one = [args.focus.resolve()]
        walk_bundles = focus_many
    else:
        focus_one = _named(crowd.DEFAULT_BUNDLES, bundles)
        focus_many = focus_one if args.quick else _named(crowd.FULL_BUNDLES, bundles)
        walk_bundles = _named(manual_walk.DEFAULT_BUNDLES if args.quick else manual_walk.FULL_BUNDLES, bundles)

    workdir = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="kserve-doctor-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    _header(args, workdir)
    runners: dict[str, Callable[[], list[Goal]]] = {
        "budget": lambda: budget.run(all_targets, workdir, quick=args.quick),
        "waves": lambda: waves.run(all_targets, workdir, quick=args.quick),
        "crowd": lambda: crowd.run(focus_many, workdir, quick=args.quick),
        "walk": lambda: manual_walk.run(walk_bundles, workdir, quick=args.quick),
        "load": lambda: load.run(focus_one[0], workdir, quick=args.quick),
        "polling": lambda: polling.run(workdir, quick=args.quick),
    }
    goals: list[Goal] = []
    timings = Table("Time per section (load average of the machine before and after: other work running on it "
                    "skews every number)", ["section", "seconds", "load before", "load after"])
    started = time.perf_counter()
    for name in sections:
        t0, load0 = time.perf_counter(), load_average()
        try:
            goals += runners[name]()
        except Exception as e:
            traceback.print_exc()
            goals.append(Goal(str(SECTIONS.index(name) + 1), name, f"section failed: {type(e).__name__}: {e}", None))
        timings.add(name, f"{time.perf_counter() - t0:.0f}", load0, load_average())
    timings.add("total", f"{time.perf_counter() - started:.0f}", "", "")

    g = Table("Goals", ["section", "goal", "measured", "verdict"])
    for goal in goals:
        g.add(goal.section, goal.goal, goal.measured, verdict(goal.ok))
    if STOPS:
        slow = max(STOPS, key=lambda x: x[1])
        killed = sum(k for _, _, k in STOPS)
        g.notes.append(f"gunicorn was stopped {len(STOPS)} times (SIGINT); the slowest stop took {slow[1]:.1f}s "
                       f"({slow[0]}); workers still alive after their master exited, killed here: {killed}")
        if slow[1] > 5 or killed:
            g.notes.append("! a gunicorn worker did not exit promptly on shutdown: see the service logs in --workdir")
    g.print()
    timings.print()
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
