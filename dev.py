#!/usr/bin/env python3
"""Set-up and everyday commands, with nothing but Python 3.11+ (and kubectl for the tests).

    python3 dev.py run     # .venv + the sandbox on scenarios/ + the service on http://127.0.0.1:8080
    python3 dev.py test    # .venv + ruff + lint-imports (the layers) + the whole test suite (what CI runs)
    python3 dev.py bench   # .venv + the benchmarks (prints a table)
    python3 dev.py setup   # only create or refresh .venv
    python3 dev.py docs    # regenerate docs/findings.md, openapi.yaml and the chart's remediator files from the code

Standard library only: this file runs before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".kserve-doctor-installed"
INPUTS = ("pyproject.toml", "requirements.lock")


def _digest() -> str:
    h = hashlib.sha256()
    for name in INPUTS:
        p = ROOT / name
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def setup() -> None:
    """Create .venv and install the pinned tree, once per change of pyproject.toml or the lock."""
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _digest():
        return
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    print("installing the pinned dependencies (requirements.lock) and the project", flush=True)
    subprocess.run([*pip, "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_digest())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(path: Path, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if path.exists():
            return
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        time.sleep(0.1)
    sys.exit(f"{what} did not start in {timeout:.0f}s")


def run(port: int = 8080) -> None:
    """The sandbox on the project's bundled scenarios and the service under gunicorn, until Ctrl-C."""
    setup()
    state = Path(tempfile.mkdtemp(prefix="kserve-doctor-run-"))
    kubeconfig = state / "kubeconfig"
    bundles = sorted(p.parent for p in (ROOT / "scenarios").glob("*/*/cluster.yaml")) + sorted(
        p.parent for p in (ROOT / "scenarios").glob("*/cluster.yaml"))
    args = [str(PY), "-m", "sandbox", "--port", str(_free_port()), "--kubeconfig", str(kubeconfig)]
    for b in bundles:
        args += ["--bundle", str(b)]
    with open(state / "sandbox.log", "w") as log:
        sandbox = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    _wait_for(kubeconfig, sandbox, "the sandbox")
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    service = subprocess.Popen([str(VENV / "bin" / "gunicorn"), "-b", f"127.0.0.1:{port}", "service:create_app()"],
                               cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if service.poll() is not None:
                sandbox.terminate()
                sys.exit("the service did not start (is port 8080 free?)")
            time.sleep(0.1)
    example = _example_target()
    print(f"""
kserve-doctor is serving on {base}  (sandbox kubeconfig: {kubeconfig}; logs in {state})

  curl -s {base}/diagnose/{example}

Every InferenceService of scenarios/ is there: KUBECONFIG={kubeconfig} kubectl get isvc -A
Stop with Ctrl-C.
""", flush=True)

    def stop(*_: object) -> None:
        for p in (service, sandbox):
            p.terminate()
        for p in (service, sandbox):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while service.poll() is None and sandbox.poll() is None:
        time.sleep(0.5)
    stop()


def _example_target() -> str:
    """namespace/name of a broken scenario, for the ready-to-paste curl."""
    import re

    for expect in sorted((ROOT / "scenarios").glob("**/expect.yaml")):
        text = expect.read_text()
        codes = re.search(r"^codes:(.*(?:\n- .*)*)", text, re.M)
        if codes and "CONTAINER_OOM_KILLED" in codes.group(1):
            m = re.search(r"namespace:\s*([\w.-]+),\s*name:\s*([\w.-]+)", text)
            if m:
                return f"{m.group(1)}/{m.group(2)}"
    return "default/sklearn-iris"


def browser() -> None:
    """Debian's chromium, for the headless-browser test of the preview pages (it skips without one)."""
    if Path("/usr/bin/chromium").exists():
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print("chromium is missing and cannot be installed here: the browser test will be skipped", flush=True)
        return
    print("installing Debian's chromium for the browser test", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([apt, "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([apt, "install", "-y", "-q", "chromium"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def test(extra: list[str]) -> None:
    setup()
    browser()
    env = dict(os.environ, PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run([str(VENV / "bin" / "ruff"), "check", "."], cwd=ROOT, check=True, env=env)
    # the layers of pyproject.toml's [tool.importlinter]: any import that points up fails the build
    subprocess.run([str(VENV / "bin" / "lint-imports"), "--no-cache"], cwd=ROOT, check=True, env=env)
    workers = ["-n", "2"] if "-n" not in extra else []
    sys.exit(subprocess.run([str(PY), "-m", "pytest", *workers, *extra], cwd=ROOT, env=env).returncode)


def bench(extra: list[str]) -> None:
    setup()
    sys.exit(subprocess.run([str(PY), "-m", "benchmarks", *extra], cwd=ROOT).returncode)


def main() -> None:
    cmd, extra = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    if cmd == "setup":
        setup()
    elif cmd == "run":
        run(int(extra[0]) if extra else 8080)
    elif cmd == "test":
        test(extra)
    elif cmd == "docs":
        setup()
        subprocess.run([str(PY), "-m", "service.docs"], cwd=ROOT, check=True)
    elif cmd == "bench":
        bench(extra)
    else:
        print(__doc__)
        sys.exit(0 if cmd == "help" else 2)


if __name__ == "__main__":
    main()
