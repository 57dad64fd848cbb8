"""Section 4, versus the manual walk: the debugging guide's kubectl commands against one diagnosis.

An engineer following the KServe debugging guide (../shared/seed/kserve-debugging-guide.md) runs, one after
the other: get the InferenceService, get the Knative services, get the latest revision (the guide's
`kubectl get revision $(kubectl get configuration ... -o jsonpath=...)`, two kubectl runs), get the pods by
label, describe the pod, get the events, the storage-initializer's log and the previous log of
kserve-container. Each command is timed as a real `kubectl` process against the same sandbox the service
reads, with a temporary HOME: "cold" starts from an empty discovery cache (a new HOME per walk), "warm"
reuses one that a previous walk filled. Typing and reading time is not counted: this is the walk's floor.
The diagnosis is `GET /diagnose/<ns>/<name>` on gunicorn (one worker), median of N.

Goal: one diagnosis at least 10x faster than the walk.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import Goal, Table, Target, bundle_objects, fmt_ms, median, say, short_resource, target_of
from .generate import crowd
from .processes import Sandbox, stack, warm_up

GOAL = 10.0
DEFAULT_BUNDLES = ("oom-exitcode137",)
FULL_BUNDLES = ("oom-exitcode137", "storage-initializer-gcs-path-missing", "crashloop-sklearn-stopiteration")


@dataclass(frozen=True)
class Step:
    label: str
    args: tuple[str, ...]


def _labelled(objs: list[dict], kind: str, name: str, api_prefix: str = "") -> list[dict]:
    return sorted((o for o in objs if o.get("kind") == kind and str(o.get("apiVersion", "")).startswith(api_prefix)
                   and (o.get("metadata") or {}).get("labels", {}).get("serving.kserve.io/inferenceservice") == name),
                  key=lambda o: o["metadata"]["name"])


def steps(target: Target, bundle: Path) -> list[Step]:
    """The guide's commands with the names the engineer reads off the previous outputs (here: the bundle)."""
    objs = [o for o in bundle_objects(bundle) if (o.get("metadata") or {}).get("namespace") == target.namespace]
    ns, name = target.namespace, target.name
    ksvcs = _labelled(objs, "Service", name, "serving.knative.dev")
    configs = _labelled(objs, "Configuration", name)
    pods = _labelled(objs, "Pod", name)
    config = configs[0]["metadata"]["name"] if configs else (ksvcs[0]["metadata"]["name"] if ksvcs
                                                             else f"{name}-predictor")
    pod = pods[0]["metadata"]["name"] if pods else f"{name}-predictor-pod"
    return [
        Step("get isvc", ("get", "inferenceservices", name, "-n", ns)),
        Step("get ksvc", ("get", "ksvc", "-n", ns)),
        Step("get configuration (jsonpath)", ("get", "configuration", config, "-n", ns, "-o",
                                             "jsonpath={.status.latestCreatedRevisionName}")),
        Step("get revision", ("get", "revision", "{revision}", "-n", ns)),
        Step("get pods -l isvc", ("get", "pods", "-l", f"serving.kserve.io/inferenceservice={name}", "-n", ns)),
        Step("describe pod", ("describe", "pod", pod, "-n", ns)),
        Step("get events", ("get", "events", "-n", ns)),
        Step("logs storage-initializer", ("logs", pod, "-c", "storage-initializer", "-n", ns)),
        Step("logs --previous kserve-container", ("logs", pod, "-c", "kserve-container", "--previous", "-n", ns)),
    ]


@dataclass
class Walk:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    out_bytes: dict[str, int] = field(default_factory=dict)
    requests: list[int] = field(default_factory=list)
    sandbox_ms: list[float] = field(default_factory=list)       # the sandbox's logged time of each walk, seconds
    slowest: list[tuple[float, str]] = field(default_factory=list)  # the slowest request of each walk

    def total(self) -> float:
        """The median over walks of each walk's total."""
        walks = min((len(v) for v in self.seconds.values()), default=0)
        return median([sum(v[i] for v in self.seconds.values()) for i in range(walks)])


def walk(kubectl: str, sandbox: Sandbox, plan: list[Step], home: Path, into: Walk) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["HOME"] = str(home)
    revision = ""
    sandbox.clear_requests()
    for step in plan:
        args = [a.replace("{revision}", revision) for a in step.args]
        if step.label == "get revision" and not revision:
            args = [a for a in args if a]  # no configuration: the engineer lists the revisions instead
        started = time.perf_counter()
        proc = subprocess.run([kubectl, "--kubeconfig", str(sandbox.kubeconfig), *args], capture_output=True,
                              text=True, env=env, timeout=120)
        into.seconds.setdefault(step.label, []).append(time.perf_counter() - started)
        into.codes[step.label] = proc.returncode
        into.out_bytes[step.label] = len(proc.stdout)
        if step.label.startswith("get configuration"):
            revision = proc.stdout.strip() if proc.returncode == 0 else ""
    served = sandbox.requests()
    into.requests.append(len(served))
    into.sandbox_ms.append(sum(float(e.get("ms") or 0) for e in served) / 1000)
    if served:
        e = max(served, key=lambda e: float(e.get("ms") or 0))
        into.slowest.append((float(e.get("ms") or 0) / 1000, f"{e.get('verb')} {short_resource(e)}"))


def measure(kubectl: str, target: Target, bundle: Path, workdir: Path, walks: int,
            runs: int) -> tuple[Walk, Walk, list[float], list[Step]]:
    plan = steps(target, bundle)
    cold, warm = Walk(), Walk()
    with stack([bundle], workdir, workers=1, threads=4, name="walk") as (sandbox, service):
        warm_up(service, target.path)
        client = service.client()
        diag = [client.get(target.path).seconds for _ in range(runs)]
        client.close()
        warm_home = Path(tempfile.mkdtemp(prefix="home-", dir=workdir))
        for _ in range(walks):
            home = Path(tempfile.mkdtemp(prefix="home-", dir=workdir))
            walk(kubectl, sandbox, plan, home, cold)
            shutil.rmtree(home, ignore_errors=True)
        walk(kubectl, sandbox, plan, warm_home, Walk())  # fills the discovery cache
        for _ in range(walks):
            walk(kubectl, sandbox, plan, warm_home, warm)
    return cold, warm, diag, plan


def run(bundles: list[Path], workdir: Path, *, quick: bool) -> list[Goal]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        say("section 4: kubectl is not on PATH; skipped")
        return [Goal("4", f">= {GOAL:g}x faster than the manual kubectl walk", "kubectl not on PATH", None)]
    walks, runs = (3, 10) if quick else (5, 20)
    goals: list[Goal] = []
    for bundle in bundles:
        target = target_of(bundle)
        if target is None:
            continue
        say(f"section 4: {target.label}: {walks} cold and {walks} warm kubectl walks, {runs} diagnoses")
        try:
            cold, warm, diag, plan = measure(kubectl, target, bundle, workdir / "walk", walks, runs)
        except Exception as e:
            goals.append(Goal("4", f">= {GOAL:g}x faster than the manual walk", f"{target.label}: {e}", None))
            continue
        goals += report(target, cold, warm, diag, plan, walks, runs)
    if not quick and bundles and (target := target_of(bundles[0])) is not None:
        goals += crowded_walk(kubectl, target, bundles[0], workdir, walks, runs)
    return goals


def report(target: Target, cold: Walk, warm: Walk, diag: list[float], plan: list[Step], walks: int,
           runs: int, title_extra: str = "") -> list[Goal]:
    d = median(diag)
    t = Table(f"4. Manual kubectl walk vs one diagnosis: {target.label}{title_extra} (median of {walks} walks, "
              f"{runs} diagnoses)", ["step", "cold ms", "warm ms", "exit", "stdout B"])
    for s in plan:
        t.add(s.label, fmt_ms(median(cold.seconds.get(s.label, [math.nan])), 0),
              fmt_ms(median(warm.seconds.get(s.label, [math.nan])), 0), warm.codes.get(s.label, "-"),
              warm.out_bytes.get(s.label, "-"))
    t.add("walk total", fmt_ms(cold.total(), 0), fmt_ms(warm.total(), 0), "", "")
    t.add("API requests of the walk", f"{median(cold.requests):.0f}", f"{median(warm.requests):.0f}", "", "")
    t.add("the sandbox's logged ms for the walk", fmt_ms(median(cold.sandbox_ms), 0),
          fmt_ms(median(warm.sandbox_ms), 0), "", "")
    if warm.slowest:
        slow = max(warm.slowest)
        t.add(f"slowest API request ({slow[1]}), ms", fmt_ms(max(cold.slowest)[0], 0) if cold.slowest else "-",
              fmt_ms(slow[0], 0), "", "")
    t.add("one diagnosis (GET /diagnose)", fmt_ms(d, 0), fmt_ms(d, 0), "", "")
    rc, rw = cold.total() / d, warm.total() / d
    t.add("walk / diagnosis", f"{rc:.1f}x", f"{rw:.1f}x", "", "")
    t.notes.append(f"goal >= {GOAL:g}x: cold {'ok' if rc >= GOAL else 'MISSED'}, "
                   f"warm {'ok' if rw >= GOAL else 'MISSED'}; typing and reading time not counted")
    t.notes.append("a non-zero exit is a command the guide has the engineer run that fails on this scenario (it still "
                   "costs its time)")
    t.print()
    return [Goal("4", f">= {GOAL:g}x faster than the manual kubectl walk{title_extra}",
                 f"cold {rc:.1f}x, warm {rw:.1f}x ({target.label})", rw >= GOAL and rc >= GOAL)]


def crowded_walk(kubectl: str, target: Target, bundle: Path, workdir: Path, walks: int, runs: int) -> list[Goal]:
    """The same walk on a crowded copy of the namespace (5,000 pods, 50,000 events), warm only."""
    from .crowd import EVENTS, PODS

    out = workdir / "walk-crowd" / bundle.name
    say(f"section 4: the walk on a crowded copy of {target.label} (+{PODS} pods, +{EVENTS} events)")
    crowd(bundle, out, pods=PODS, events=EVENTS)
    plan = steps(target, bundle)
    cold, warm = Walk(), Walk()
    with stack([out], workdir / "walk", workers=1, threads=4, name="walk-crowd") as (sandbox, service):
        warm_up(service, target.path)
        client = service.client()
        diag = [client.get(target.path).seconds for _ in range(runs)]
        client.close()
        home = Path(tempfile.mkdtemp(prefix="home-", dir=workdir))
        walk(kubectl, sandbox, plan, home, cold)
        for _ in range(max(walks // 2, 1)):
            walk(kubectl, sandbox, plan, home, warm)
    return report(target, cold, warm, diag, plan, max(walks // 2, 1), runs,
                  title_extra=f", crowded namespace (+{PODS} pods, +{EVENTS} events; cold = 1 walk)")
