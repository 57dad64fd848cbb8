"""What every section shares: the bundles and their targets, statistics, plain-text tables, an HTTP client."""

from __future__ import annotations

import http.client
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "scenarios" / "public"
OWN = ROOT / "scenarios"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- bundles and their targets --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The InferenceService a bundle's expect.yaml names, and the HTTP status its diagnosis should have."""

    bundle: Path
    namespace: str
    name: str
    status: int = 200

    @property
    def label(self) -> str:
        if PUBLIC in self.bundle.parents:
            return f"public/{self.bundle.name}"
        if OWN in self.bundle.parents:
            return str(self.bundle.relative_to(OWN))
        return self.bundle.name

    @property
    def path(self) -> str:
        return f"/diagnose/{self.namespace}/{self.name}"


def find_bundles(dirs: Iterable[Path]) -> list[Path]:
    """Bundles (folders with a cluster.yaml) in each DIR: DIR itself when it is one, else every one below it."""
    out: list[Path] = []
    for d in dirs:
        d = Path(d).resolve()
        found = [d] if (d / "cluster.yaml").is_file() else sorted(p.parent for p in d.glob("**/cluster.yaml"))
        out += [b for b in found if b not in out]
    return out


def target_of(bundle: Path) -> Target | None:
    """The bundle's target from its expect.yaml, or None for a bundle that is only served."""
    expect = bundle / "expect.yaml"
    if not expect.is_file():
        return None
    data = yaml.load(expect.read_text(), Loader=_Loader) or {}
    t = data.get("target") or {}
    if not t.get("namespace") or not t.get("name"):
        return None
    return Target(bundle, str(t["namespace"]), str(t["name"]), int(data.get("status") or 200))


def targets(dirs: Iterable[Path]) -> list[Target]:
    return [t for b in find_bundles(dirs) if (t := target_of(b)) is not None]


def public_bundle(name: str) -> Path | None:
    path = PUBLIC / name
    return path if (path / "cluster.yaml").is_file() else None


def bundle_objects(bundle: Path) -> list[dict[str, Any]]:
    """The objects of a bundle's cluster.yaml (List documents unpacked), for the sections that need names."""
    out: list[dict[str, Any]] = []
    for doc in yaml.load_all((bundle / "cluster.yaml").read_text(), Loader=_Loader):
        if not isinstance(doc, dict):
            continue
        if str(doc.get("kind", "")).endswith("List") and "items" in doc:
            out += [i for i in doc.get("items") or [] if isinstance(i, dict)]
        else:
            out.append(doc)
    return out


# -- statistics -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks; nan when empty."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


# -- formatting -----------------------------------------------------------------------------------


def fmt_ms(seconds: float, digits: int = 1) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.{digits}f}"


def fmt_kib(n: float) -> str:
    return "-" if math.isnan(n) else f"{n / 1024:.1f}"


def fmt_x(ratio: float, digits: int = 2) -> str:
    return "-" if math.isnan(ratio) or math.isinf(ratio) else f"{ratio:.{digits}f}x"


def ratio(a: float, b: float) -> float:
    return math.nan if not b or math.isnan(a) or math.isnan(b) else a / b


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("ok" if ok else "MISSED")


@dataclass
class Table:
    """A plain-text table: a title, a header row, right-aligned numbers, and notes printed under it."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append(cells)

    def render(self) -> str:
        cells = [[str(c) for c in self.columns]] + [[_cell(c) for c in r] for r in self.rows]
        widths = [max(len(r[i]) if i < len(r) else 0 for r in cells) for i in range(len(self.columns))]
        numeric = [all(_is_number(r[i]) for r in cells[1:] if i < len(r)) and len(cells) > 1
                   for i in range(len(self.columns))]

        def line(row: Sequence[str]) -> str:
            parts = []
            for i, w in enumerate(widths):
                v = row[i] if i < len(row) else ""
                parts.append(v.rjust(w) if numeric[i] and i > 0 else v.ljust(w))
            return "  ".join(parts).rstrip()

        rule = "-" * max(len(self.title), sum(widths) + 2 * (len(widths) - 1))
        out = [self.title, rule, line(cells[0]), line(["-" * w for w in widths])]
        out += [line(r) for r in cells[1:]]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def print(self) -> None:
        print(self.render() + "\n", flush=True)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.2f}"
    return str(v)


def _is_number(s: str) -> bool:
    s = s.rstrip("x%").replace(",", "")
    if s in ("-", "n/a"):
        return True
    try:
        float(s.split("/")[0])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Goal:
    """One goal of the issue, what was measured against it, and whether it was met (None: not measurable)."""

    section: str
    goal: str
    measured: str
    ok: bool | None


def say(text: str) -> None:
    """Progress on stderr-like terms, but on stdout so that it interleaves with the tables in order."""
    print(f"  .. {text}", flush=True)


# -- the service over HTTP ------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Client:
    """One keep-alive HTTP/1.1 connection to the service (one per thread); reconnects when the server closed it.

    `reconnects` counts the times a reused connection had been closed by the server (gunicorn's keep-alive
    timeout) and the request was sent again on a fresh one: that is not an error of the service.
    """

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        u = urlsplit(base_url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def get(self, path: str) -> Reply:
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers={"Connection": "keep-alive"})
                resp = self.conn.getresponse()
                body = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused and attempt == 1:
                    self.reconnects += 1
                    continue
                raise
            seconds = time.perf_counter() - started
            if resp.will_close:
                self.close()
            return Reply(resp.status, body, seconds)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# -- the sandbox's request log --------------------------------------------------------------------


def resource_of(entry: dict[str, Any]) -> str:
    """`resource.group[/subresource]` of a request-log entry (Knative and core `services` are told apart)."""
    parts = [unquote(p) for p in str(entry.get("path", "")).split("/") if p]
    group = parts[1] if parts[:1] == ["apis"] and len(parts) > 1 else ""
    res = str(entry.get("resource") or "")
    if not res:
        return str(entry.get("path", ""))
    name = f"{res}.{group}" if group else res
    return f"{name}/{entry['subresource']}" if entry.get("subresource") else name


SHORT = {"inferenceservices.serving.kserve.io": "isvc", "services.serving.knative.dev": "ksvc",
         "revisions.serving.knative.dev": "revision", "configurations.serving.knative.dev": "configuration",
         "routes.serving.knative.dev": "route", "ingresses.networking.internal.knative.dev": "kingress",
         "virtualservices.networking.istio.io": "vs", "authorizationpolicies.security.istio.io": "authz",
         "deployments.apps": "deployments", "servingruntimes.serving.kserve.io": "servingruntimes",
         "clusterservingruntimes.serving.kserve.io": "clusterservingruntimes",
         "ingresses.networking.k8s.io": "ingresses", "pods/log": "log"}


def short_resource(entry: dict[str, Any]) -> str:
    """A short name for a request's resource: isvc, ksvc, revision, vs, pods, services, events, log..."""
    r = resource_of(entry)
    return SHORT.get(r, r)


def kind_counts(entries: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many requests of each sort: gets, lists of events, other lists, pod logs, watches, other."""
    out = {"get": 0, "list": 0, "events": 0, "logs": 0, "watch": 0, "other": 0}
    for e in entries:
        verb, res = e.get("verb"), resource_of(e)
        if res.endswith("/log"):
            out["logs"] += 1
        elif verb == "list" and res.split(".")[0] == "events":
            out["events"] += 1
        elif verb in ("get", "list", "watch"):
            out[str(verb)] += 1
        else:
            out["other"] += 1
    return out
