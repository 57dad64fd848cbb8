"""Running a Sandbox: an HTTPS server thread and the kubeconfig that reaches it as a cluster admin.

Used by `python -m sandbox` and by tests and benchmarks that want a sandbox inside their own process
(they still reach it over HTTP through the official client, exactly like a separate process).
"""

from __future__ import annotations

import base64
import logging
import os
import ssl
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .bundle import load
from .server import Sandbox
from .tls import ServingCert, generate


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive like a real API server; request lines go to our own log, not stderr."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("sandbox.access").debug('"%s" %s %s', self.requestline, code, size)


@dataclass
class Running:
    sandbox: Sandbox
    url: str
    cert: ServingCert
    httpd: BaseWSGIServer
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
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def start(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve in a daemon thread; return once the server answers a request."""
    cert = generate(host)
    httpd = make_server(host, port, sandbox, threaded=True, request_handler=_Handler, ssl_context=cert.context())
    httpd.daemon_threads = True  # type: ignore[attr-defined]
    url = f"https://{host}:{httpd.socket.getsockname()[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http",
                              daemon=True)
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
