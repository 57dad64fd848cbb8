"""Starting and stopping the two processes every benchmark talks to over HTTP.

The sandbox is `python -m sandbox --bundle ... --port 0 --kubeconfig FILE` (FILE appears once it answers);
the service is `.venv/bin/gunicorn 'service:create_app()'` with KUBECONFIG=FILE, WEB_CONCURRENCY and
GUNICORN_THREADS, read by the repository's gunicorn.conf.py exactly as in the image. Both are separate
processes: what the sandbox spends is never counted as the service's time, and /proc gives each one's
CPU time and resident memory.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .common import ROOT, Client

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GUNICORN = Path(sys.executable).with_name("gunicorn")


class StartError(RuntimeError):
    """A process did not come up; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- /proc ----------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from `state` on (the name may hold spaces)


def _started_at(pid: int) -> int | None:
    """The process's start time in clock ticks (tells a pid apart from a later one that reuses it); None when it is
    gone or a zombie."""
    try:
        f = _stat_fields(pid)
    except (OSError, ValueError):
        return None
    return None if f[0] == "Z" else int(f[19])


# Every stop of gunicorn: (name, seconds from SIGINT to the master's exit, workers left alive that were killed).
STOPS: list[tuple[str, float, int]] = []


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of the processes (their own threads included, children excluded)."""
    total = 0
    for pid in pids:
        try:
            f = _stat_fields(pid)
        except (OSError, ValueError):
            continue
        total += int(f[11]) + int(f[12])
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent (every core), from /proc/stat: to tell others' load apart."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(d.name))[1]) == pid:
                out.append(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(out)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- the sandbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionProbe:
    connection_header: str  # what the sandbox answers in `Connection:` to a request that does not ask to close
    keeps_alive: bool       # whether a second request went over the same connection
    new_wall: float         # seconds per request on a new TLS connection, all included (median)
    handshake: float        # TCP connect + TLS handshake (median)
    first_byte: float       # from sending the request to the answer's status line (median)
    reused_wall: float      # seconds per request on one kept-alive connection (median)
    client_cpu: float       # this process's CPU seconds per request on a new connection (handshake included)
    logged: float           # what the sandbox's request log says a request took (`ms`, median), in seconds


@dataclass
class Sandbox:
    """A running `python -m sandbox`, and its admin-only control endpoints."""

    proc: subprocess.Popen[bytes]
    kubeconfig: Path
    url: str
    token: str
    context: ssl.SSLContext
    start_seconds: float  # from spawning the process to the kubeconfig being written (it then answers)
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def control(self, method: str, what: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_sandbox/{what}", method=method, data=data,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.context, timeout=120) as resp:
            return json.loads(resp.read())

    def requests(self) -> list[dict[str, Any]]:
        """The API requests served since the last clear (the control endpoints are never in it)."""
        return list(self.control("GET", "requests").get("items", []))

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def faults(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "faults").get("rules", []))

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        self.control("PUT", "faults", rules)

    def stats(self) -> dict[str, Any]:
        return dict(self.control("GET", "stats"))

    def cpu_seconds(self) -> float:
        return cpu_seconds([self.pid])

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def connection(self) -> http.client.HTTPSConnection:
        host, port = self.url.split("//", 1)[1].rsplit(":", 1)
        return http.client.HTTPSConnection(host, int(port), context=self.context, timeout=60)

    def probe_connections(self, n: int = 50) -> ConnectionProbe:
        """`n` requests (GET /version) each on a new TLS connection, then `n` on one kept-alive connection: the
        Connection header, the time to connect and shake hands, the time to the status line, the client's CPU per
        new connection, and what the sandbox's request log says a request took (`ms`)."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        self.clear_requests()
        walls, handshakes, firsts = [], [], []
        cpu0 = time.process_time()
        for _ in range(n):
            conn = self.connection()
            t0 = time.perf_counter()
            conn.connect()
            t1 = time.perf_counter()
            conn.request("GET", "/version", headers={**headers, "Connection": "close"})
            resp = conn.getresponse()
            t2 = time.perf_counter()
            resp.read()
            conn.close()
            walls.append(time.perf_counter() - t0)
            handshakes.append(t1 - t0)
            firsts.append(t2 - t1)
        cpu = (time.process_time() - cpu0) / n
        conn = self.connection()
        reused, header, socks = [], "(none)", set()
        try:
            for _ in range(n + 1):
                t0 = time.perf_counter()
                conn.request("GET", "/version", headers=headers)
                resp = conn.getresponse()
                resp.read()
                reused.append(time.perf_counter() - t0)
                header = resp.getheader("Connection") or "(none)"
                socks.add(id(conn.sock))
        finally:
            conn.close()
        logged = [float(e.get("ms") or 0) / 1000 for e in self.requests()]
        self.clear_requests()
        return ConnectionProbe(header, len(socks) == 1, statistics.median(walls), statistics.median(handshakes),
                               statistics.median(firsts), statistics.median(reused[1:]), cpu,
                               statistics.median(logged) if logged else math.nan)

    def stop(self) -> None:
        _stop(self.proc)


def start_sandbox(bundles: Sequence[Path], workdir: Path, name: str = "sandbox", timeout: float = 900.0) -> Sandbox:
    """Start `python -m sandbox` on the bundles and wait for its kubeconfig (written once it answers)."""
    workdir.mkdir(parents=True, exist_ok=True)
    kubeconfig = workdir / f"{name}.kubeconfig"
    kubeconfig.unlink(missing_ok=True)
    log = workdir / f"{name}.log"
    args = [sys.executable, "-m", "sandbox", "--port", "0", "--kubeconfig", str(kubeconfig)]
    for b in bundles:
        args += ["--bundle", str(b)]
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    end = started + timeout
    while not kubeconfig.exists():
        if proc.poll() is not None:
            raise StartError(f"the sandbox exited with {proc.returncode}:\n{_tail(log)}")
        if time.perf_counter() > end:
            _stop(proc)
            raise StartError(f"the sandbox did not write {kubeconfig} within {timeout:.0f}s:\n{_tail(log)}")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    cfg = yaml.safe_load(kubeconfig.read_text())
    cluster = cfg["clusters"][0]["cluster"]
    token = next(u["user"]["token"] for u in cfg["users"] if u["name"] == "sandbox-admin")
    ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    return Sandbox(proc, kubeconfig, cluster["server"], token, ctx, elapsed, log)


# -- the service ----------------------------------------------------------------------------------


@dataclass
class Service:
    """A running gunicorn master and its workers."""

    proc: subprocess.Popen[bytes]
    url: str
    workers: int
    threads: int
    start_seconds: float
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    ready_seconds: float = math.nan  # from spawning to /readyz answering 200 (several times in a row), when waited for

    @property
    def pid(self) -> int:
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def cpu_seconds(self) -> float:
        """CPU time of the master and its current workers."""
        return cpu_seconds([self.pid, *self.worker_pids()])

    def worker_rss_kib(self) -> dict[int, int]:
        return {pid: rss_kib(pid) for pid in self.worker_pids()}

    def client(self) -> Client:
        return Client(self.url)

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGINT: no graceful wait on idle keep-alives). The master kills workers that
        have not exited after its graceful_timeout (20 s); a worker still alive once the master is gone (it would
        be orphaned) is killed here, by pid, and counted in STOPS."""
        workers = [(pid, _started_at(pid)) for pid in self.worker_pids()]
        started = time.perf_counter()
        _stop(self.proc, signal.SIGINT, wait=30.0)
        seconds = time.perf_counter() - started
        killed = 0
        for pid, at in workers:
            if at is not None and _started_at(pid) == at:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
        STOPS.append((self.log.stem, seconds, killed))


def start_service(kubeconfig: Path, workdir: Path, *, workers: int = 1, threads: int = 4,
                  env: Mapping[str, str] | None = None, name: str = "service", timeout: float = 60.0,
                  wait_ready: bool = False, ready_timeout: float = 300.0) -> Service:
    """Start gunicorn with the repository's gunicorn.conf.py; return once every worker answers /healthz.

    With `wait_ready`, also wait until /readyz answers 200 on 4 fresh connections in a row (in cache mode a
    worker is ready once its informers have synced; each worker has its own, and the connections land on
    whichever worker accepts first)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / f"{name}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "KSERVE_DOCTOR_"))}
    full_env.update({"KUBECONFIG": str(kubeconfig), "WEB_CONCURRENCY": str(workers),
                     "GUNICORN_THREADS": str(threads), **(env or {})})
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(GUNICORN), "-b", f"127.0.0.1:{port}", "service:create_app()"], cwd=ROOT,
                                env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    service = Service(proc, url, workers, threads, 0.0, log, dict(env or {}))
    end = started + timeout
    while True:
        if proc.poll() is not None:
            raise StartError(f"gunicorn exited with {proc.returncode}:\n{_tail(log)}")
        if time.perf_counter() > end:
            service.stop()
            raise StartError(f"gunicorn did not answer /healthz on {workers} workers within {timeout:.0f}s:\n"
                             f"{_tail(log)}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                r.read()
            # every worker imports the app itself: wait until all are forked and have had time to load it
            pids = service.worker_pids()
            if len(pids) >= workers:
                break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    service.start_seconds = time.perf_counter() - started
    if wait_ready:
        streak, end = 0, time.perf_counter() + ready_timeout
        while streak < 4 * workers:
            if time.perf_counter() > end:
                service.stop()
                raise StartError(f"/readyz did not answer 200 within {ready_timeout:.0f}s:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=10) as r:
                    r.read()
                streak += 1
            except (urllib.error.URLError, OSError):
                streak = 0
                time.sleep(0.1)
        service.ready_seconds = time.perf_counter() - started
    return service


@contextmanager
def stack(bundles: Sequence[Path], workdir: Path, *, workers: int = 1, threads: int = 4,
          env: Mapping[str, str] | None = None, name: str = "stack") -> Iterator[tuple[Sandbox, Service]]:
    """The sandbox on the bundles and gunicorn pointed at it, for a with-block; both stopped after."""
    sandbox = start_sandbox(bundles, workdir, name=f"{name}-sandbox")
    service = None
    try:
        service = start_service(sandbox.kubeconfig, workdir, workers=workers, threads=threads, env=env,
                                name=f"{name}-service")
        yield sandbox, service
    finally:
        if service is not None:
            service.stop()
        sandbox.stop()


def warm_up(service: Service, path: str, n: int = 3) -> None:
    """First diagnoses on each worker open the connections to the API server and import lazily; not measured."""
    for _ in range(max(n, service.workers * 2)):
        c = Client(service.url)
        try:
            c.get(path)
        finally:
            c.close()
