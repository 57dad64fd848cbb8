"""Running a Sandbox: an HTTPS server thread and the kubeconfig that reaches it as a cluster admin.

Used by `python -m sandbox` and by tests and benchmarks that want a sandbox inside their own process
(they still reach it over HTTP through the official client, exactly like a separate process).
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .bundle import load
from .server import Sandbox
from .tls import ServingCert, generate

log = logging.getLogger("sandbox.http")


class _Server(wsgi.Server):
    """cheroot's server, reporting through logging instead of writing to stderr."""

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        # A client that connects and goes away before TLS completes (a port check, a pool closing an idle
        # socket) is routine for an API server, not an error worth a line on every run
        if "during handshake" in str(msg):
            level = logging.DEBUG
        log.log(level, "%s", msg, exc_info=traceback)


# Threads serving requests. Watches hold one each for their duration, so there are more than cores.
THREADS = 32


@dataclass
class Running:
    sandbox: Sandbox
    url: str
    cert: ServingCert
    httpd: wsgi.Server
    thread: threading.Thread

    def kubeconfig(self, users: list[dict[str, Any]] | None = None, token: str | None = None) -> dict[str, Any]:
        """A kubeconfig for the admin (or for `token`), plus one context per user of users.yaml."""
        entries = [{"name": "sandbox-admin", "user": {"token": token or self.sandbox.admin_token}}]
        contexts = [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "sandbox-admin",
                                                    "namespace": "default"}}]
        for u in users or []:
            name = str(u["user"]).replace(":", "-").replace("@", "-at-")
            entries.append({"name": name, "user": {"token": str(u["token"])}})
            contexts.append({"name": name, "context": {"cluster": "sandbox", "user": name, "namespace": "default"}})
        return {"apiVersion": "v1", "kind": "Config", "preferences": {},
                "clusters": [{"name": "sandbox", "cluster": {
                    "server": self.url, "certificate-authority-data": base64.b64encode(self.cert.ca_pem).decode()}}],
                "users": entries, "contexts": contexts, "current-context": "sandbox"}

    def write_kubeconfig(self, path: Path, users: list[dict[str, Any]] | None = None, token: str | None = None) -> Path:
        """Write atomically (rename), so that whoever waits for the file never reads half of it."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(yaml.safe_dump(self.kubeconfig(users, token), sort_keys=False))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
        return path

    def stop(self) -> None:
        self.httpd.stop()
        self.thread.join(5)


def start(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve in a daemon thread (cheroot: HTTP/1.1 keep-alive over TLS, as a real API server answers), and
    return once the server answers a request."""
    cert = generate(host)
    # request_queue_size is the listen backlog: cheroot's default of 5 drops the SYNs of a client that opens
    # a dozen connections at once, which then wait a second to retry
    httpd = _Server((host, port), sandbox, numthreads=THREADS, server_name="kube-apiserver",
                        shutdown_timeout=1, request_queue_size=256)
    with tempfile.TemporaryDirectory() as d:
        crt, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
        with open(crt, "wb") as f:
            f.write(cert.cert_pem + cert.ca_pem)
        with open(key, "wb") as f:
            f.write(cert.key_pem)
        httpd.ssl_adapter = BuiltinSSLAdapter(crt, key)
        httpd.prepare()  # binds and loads the certificate while the files exist
    url = f"https://{host}:{httpd.bind_addr[1]}"
    thread = threading.Thread(target=httpd.serve, name="sandbox-http", daemon=True)
    thread.start()
    probe = urllib.request.Request(f"{url}/version", headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    with urllib.request.urlopen(probe, timeout=10, context=ssl.create_default_context(
            cadata=cert.ca_pem.decode())) as r:
        r.read()
    return Running(sandbox, url, cert, httpd, thread)


@contextmanager
def running(*bundles: Path, kubeconfig: Path | None = None, admin_token: str | None = None) -> Iterator[Running]:
    """A sandbox on bundles for the duration of a with-block (tests, benchmarks)."""
    loaded = [load(b) for b in bundles]
    sb = Sandbox(loaded, admin_token=admin_token)
    r = start(sb)
    try:
        if kubeconfig is not None:
            r.write_kubeconfig(kubeconfig, [u for b in loaded for u in b.users])
        yield r
    finally:
        r.stop()
