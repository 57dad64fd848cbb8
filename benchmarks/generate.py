"""Generated bundles for the benchmarks, always written to a new directory: a source bundle is only read.

`crowd()` copies a bundle and adds, in its target's namespace, thousands of unrelated pods and events
(realistic small objects: other apps' Deployments' pods, other InferenceServices' predictor pods, their
Scheduled/Pulled/Started/BackOff/Unhealthy events), none of which a diagnosis of the target should read.

`fleet()` writes one bundle with N healthy InferenceServices cloned from a healthy template bundle (every
object of its namespace, with names, namespace and uids rewritten per clone), for the polling section.

Generated objects are written as JSON documents (JSON is YAML) after the source's own cluster.yaml text,
which the sandbox loads like any bundle. Run as `python -m benchmarks.generate crowd SRC OUT` to keep one.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import PUBLIC, bundle_objects, target_of

APPS = ("feature-etl", "batch-scorer", "redis-cache", "kafka-consumer", "label-studio", "jupyter", "airflow-worker",
        "spark-exec", "mlflow-tracking", "triton-canary", "data-validator", "embedding-indexer", "feast-serving",
        "ray-worker", "prometheus-pushgw", "nginx-gateway", "argo-step", "dask-worker", "minio-sync", "tensorboard")
NODES = tuple(f"ip-10-0-{i}-{j}.ec2.internal" for i in range(1, 5) for j in (17, 42, 133, 201))
IMAGES = ("python:3.11-slim", "redis:7.2", "bitnami/kafka:3.6", "nginx:1.25", "apache/airflow:2.8.1",
          "apache/spark:3.5.0", "jupyter/scipy-notebook:2024-01-15", "rayproject/ray:2.9.0", "minio/mc:latest")
UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class Generated:
    path: Path
    namespace: str
    pods: int
    events: int
    bytes_added: int


def _copy_bundle(source: Path, out: Path) -> None:
    """Everything of the bundle but cluster.yaml, as plain copies (public bundles are read-only files)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: generated bundles go to a new directory")
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(source.rglob("*")):
        rel = f.relative_to(source)
        if rel == Path("cluster.yaml"):
            continue
        dest = out / rel
        if f.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)


def _write_cluster(source_text: str, out: Path, objects: Iterator[dict[str, Any]]) -> tuple[int, int]:
    """The source's cluster.yaml text unchanged, then one JSON document per generated object."""
    n = size = 0
    with open(out / "cluster.yaml", "w") as f:
        f.write(source_text)
        if not source_text.endswith("\n"):
            f.write("\n")
        for obj in objects:
            doc = "---\n" + json.dumps(obj, separators=(",", ":")) + "\n"
            f.write(doc)
            n += 1
            size += len(doc)
    return n, size


def _suffix(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _ts(rng: random.Random, day: int = 10) -> str:
    return f"2024-03-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"


def _pod(rng: random.Random, ns: str, i: int, avoid: str = "") -> dict[str, Any]:
    """A small, realistic pod: most are Running, some CrashLoopBackOff or Pending; a fifth belong to other
    InferenceServices (same label keys as the target's, other values)."""
    isvc = i % 5 == 0
    if isvc:
        model = f"model-{(i // 5) % 200:03d}"
        if model == avoid:
            model += "-b"  # never the target's own InferenceService
        owner = f"{model}-predictor-00001-deployment"
        labels = {"app": f"{model}-predictor-00001", "component": "predictor",
                  "serving.kserve.io/inferenceservice": model,
                  "serving.knative.dev/revision": f"{model}-predictor-00001",
                  "serving.knative.dev/service": f"{model}-predictor"}
        image = "kserve/sklearnserver:v0.11.2"
    else:
        app = f"{APPS[i % len(APPS)]}-{(i // len(APPS)) % 50:02d}"
        owner = app
        labels = {"app": app, "app.kubernetes.io/name": APPS[i % len(APPS)], "team": f"team-{i % 7}"}
        image = IMAGES[i % len(IMAGES)]
    rs_hash = f"{rng.getrandbits(40):010x}"[:10]
    name = f"{owner}-{rs_hash}-{_suffix(rng, 5)}"
    labels["pod-template-hash"] = rs_hash
    started = _ts(rng)
    roll = rng.random()
    if roll < 0.03:
        phase, ready = "Running", False
        state: dict[str, Any] = {"waiting": {"reason": "CrashLoopBackOff",
                                             "message": f"back-off 5m0s restarting failed container=main pod={name}"}}
        last = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started, "finishedAt": started}}
        restarts = rng.randrange(3, 400)
    elif roll < 0.05:
        phase, ready, state, last, restarts = "Pending", False, {"waiting": {"reason": "ContainerCreating"}}, {}, 0
    else:
        phase, ready, state, last, restarts = "Running", True, {"running": {"startedAt": started}}, {}, 0
    node = rng.choice(NODES)
    conds = [{"type": t, "status": "True" if (ready or t in ("Initialized", "PodScheduled")) else "False",
              "lastProbeTime": None, "lastTransitionTime": started}
             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                     "creationTimestamp": started, "labels": labels, "generateName": f"{owner}-{rs_hash}-",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{owner}-{rs_hash}",
                                          "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"containers": [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent",
                                 "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                               "limits": {"memory": "512Mi"}},
                                 "terminationMessagePath": "/dev/termination-log",
                                 "terminationMessagePolicy": "File"}],
                 "nodeName": node if phase != "Pending" else None, "restartPolicy": "Always",
                 "serviceAccountName": "default", "schedulerName": "default-scheduler",
                 "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"},
        "status": {"phase": phase, "conditions": conds, "hostIP": "10.0.1.17", "podIP": f"10.1.{i // 250}.{i % 250}",
                   "startTime": started, "qosClass": "Burstable",
                   "containerStatuses": [{"name": "main", "image": image, "imageID": "", "ready": ready,
                                          "started": ready, "restartCount": restarts, "state": state,
                                          "lastState": last, "containerID": f"containerd://{rng.getrandbits(64):016x}"}]},
    }


EVENT_KINDS = (
    ("Normal", "Scheduled", "default-scheduler", "Successfully assigned {ns}/{name} to {node}"),
    ("Normal", "Pulling", "kubelet", 'Pulling image "{image}"'),
    ("Normal", "Pulled", "kubelet", 'Successfully pulled image "{image}" in 1.204s (1.204s including waiting)'),
    ("Normal", "Created", "kubelet", "Created container main"),
    ("Normal", "Started", "kubelet", "Started container main"),
    ("Warning", "BackOff", "kubelet", "Back-off restarting failed container main in pod {name}_{ns}"),
    ("Warning", "Unhealthy", "kubelet", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
    ("Normal", "Killing", "kubelet", "Stopping container main"),
    ("Warning", "FailedMount", "kubelet", 'MountVolume.SetUp failed for volume "config" : configmap "app-config" '
                                          "not found"),
    ("Normal", "SandboxChanged", "kubelet", "Pod sandbox changed, it will be killed and re-created."),
)


def _event(rng: random.Random, ns: str, pod: dict[str, Any], j: int) -> dict[str, Any]:
    kind, reason, component, text = EVENT_KINDS[j % len(EVENT_KINDS)]
    meta = pod["metadata"]
    image = pod["spec"]["containers"][0]["image"]
    node = pod["spec"].get("nodeName") or NODES[0]
    first = _ts(rng)
    kubelet = component == "kubelet"
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{rng.getrandbits(64):016x}", "namespace": ns,
                     "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "creationTimestamp": first},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "namespace": ns,
                           "uid": meta["uid"], "fieldPath": "spec.containers{main}" if kubelet else None},
        "reason": reason, "message": text.format(ns=ns, name=meta["name"], node=node, image=image), "type": kind,
        "source": {"component": component, "host": node if kubelet else None},
        "firstTimestamp": first, "lastTimestamp": _ts(rng, 11),
        "count": rng.randrange(1, 60) if kind == "Warning" else 1,
        "reportingComponent": component, "reportingInstance": node if kubelet else "",
    }


def crowd(source: Path, out: Path, *, pods: int = 5000, events: int = 50000, namespace: str | None = None,
          seed: int = 20240312) -> Generated:
    """A copy of `source` with `pods` unrelated pods and `events` events about them in the target's namespace.

    The source bundle is only read. Events go round-robin over the generated pods (10 each by default), so
    none is about an object of the scenario; names are checked against the scenario's own.
    """
    source, out = Path(source), Path(out)
    target = target_of(source)
    ns = namespace or (target.namespace if target else "default")
    taken = {(o.get("kind"), (o.get("metadata") or {}).get("name")) for o in bundle_objects(source)}
    rng = random.Random(seed)
    generated_pods: list[dict[str, Any]] = []
    i = 0
    while len(generated_pods) < pods:
        p = _pod(rng, ns, i, avoid=target.name if target else "")
        i += 1
        if ("Pod", p["metadata"]["name"]) not in taken:
            generated_pods.append(p)

    def objects() -> Iterator[dict[str, Any]]:
        yield from generated_pods
        holders = generated_pods or [_pod(rng, ns, 0)]
        for j in range(events):
            yield _event(rng, ns, holders[j % len(holders)], j // len(holders))

    _copy_bundle(source, out)
    _, size = _write_cluster((source / "cluster.yaml").read_text(), out, objects())
    return Generated(out, ns, pods, events, size)


def healthy_template() -> Path | None:
    path = PUBLIC / "healthy-sklearn-iris"
    return path if (path / "cluster.yaml").is_file() else None


@dataclass(frozen=True)
class Fleet:
    path: Path
    targets: list[tuple[str, str]]  # (namespace, name) of every InferenceService
    objects: int
    bytes: int


def _new_uids(text: str) -> str:
    """The text with every uid replaced by a fresh one, the same uid always by the same new one."""
    uids: dict[str, str] = {}
    return UUID_RE.sub(lambda m: uids.setdefault(m.group(), str(uuid.uuid4())), text)


def fleet(out: Path, *, count: int = 1000, namespaces: int = 10, template: Path | None = None,
          events: bool = True) -> Fleet:
    """One bundle with `count` healthy InferenceServices spread over `namespaces` namespaces.

    Each clone is every object of the template's target namespace (InferenceService, Knative service,
    configuration, route, revision, Deployment, ReplicaSet, pod, Services, VirtualServices, events), with the
    name, the namespace and every uid rewritten, so that labels, owner references and hosts stay consistent.
    """
    template = template or healthy_template()
    if template is None:
        raise FileNotFoundError("no healthy template bundle (../shared/scenarios/public/healthy-sklearn-iris)")
    t = target_of(template)
    if t is None:
        raise ValueError(f"{template} has no expect.yaml target")
    objs = bundle_objects(template)
    mine = [o for o in objs if (o.get("metadata") or {}).get("namespace") == t.namespace
            and (events or o.get("kind") != "Event")]
    shared = [o for o in objs if (o.get("metadata") or {}).get("namespace") not in (t.namespace, None)
              or (o.get("kind") != "Namespace" and not (o.get("metadata") or {}).get("namespace"))]
    text = json.dumps(mine, separators=(",", ":"))
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: generated bundles go to a new directory")
    out.mkdir(parents=True, exist_ok=True)
    names = [f"fleet-{k:02d}" for k in range(namespaces)]
    targets: list[tuple[str, str]] = []
    n = size = 0
    with open(out / "cluster.yaml", "w") as f:
        for o in [*({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in names), *shared]:
            doc = "---\n" + json.dumps(o, separators=(",", ":")) + "\n"
            f.write(doc)
            n, size = n + 1, size + len(doc)
        for i in range(count):
            ns, name = names[i % namespaces], f"model-{i:04d}"
            clone = _new_uids(text)
            clone = clone.replace(t.name, name).replace(t.namespace, ns)
            for o in json.loads(clone):
                doc = "---\n" + json.dumps(o, separators=(",", ":")) + "\n"
                f.write(doc)
                n, size = n + 1, size + len(doc)
            targets.append((ns, name))
    return Fleet(out, targets, n, size)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("crowd", help="a crowded copy of a bundle")
    c.add_argument("source", type=Path)
    c.add_argument("out", type=Path)
    c.add_argument("--pods", type=int, default=5000)
    c.add_argument("--events", type=int, default=50000)
    f = sub.add_parser("fleet", help="a bundle of healthy InferenceServices")
    f.add_argument("out", type=Path)
    f.add_argument("--count", type=int, default=1000)
    f.add_argument("--namespaces", type=int, default=10)
    args = ap.parse_args(argv)
    if args.what == "crowd":
        g = crowd(args.source, args.out, pods=args.pods, events=args.events)
        print(f"{g.path}: +{g.pods} pods, +{g.events} events in {g.namespace} ({g.bytes_added / 2**20:.1f} MiB)")
    else:
        fl = fleet(args.out, count=args.count, namespaces=args.namespaces)
        print(f"{fl.path}: {len(fl.targets)} InferenceServices, {fl.objects} objects ({fl.bytes / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
