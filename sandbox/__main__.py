"""`python -m sandbox --bundle DIR [--bundle DIR ...] --port N --kubeconfig FILE`.

Serves the bundles on 127.0.0.1:N and writes FILE, a kubeconfig whose token is a cluster admin
(plus one context per user of the bundles' users.yaml), only once the server answers requests, so
that a caller can wait for the file to appear.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import signal
import ssl
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from werkzeug.serving import WSGIRequestHandler, make_server

from .bundle import BundleError, load
from .server import Sandbox
from .tls import generate


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive like a real API server; request lines go to our own log, not stderr."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("sandbox.access").debug('"%s" %s %s', self.requestline, code, size)


def kubeconfig(server: str, ca_pem: bytes, admin_token: str, users: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [{"name": "sandbox-admin", "user": {"token": admin_token}}]
    contexts = [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "sandbox-admin", "namespace": "default"}}]
    for u in users:
        name = str(u["user"]).replace(":", "-").replace("@", "-at-")
        entries.append({"name": name, "user": {"token": str(u["token"])}})
        contexts.append({"name": name, "context": {"cluster": "sandbox", "user": name, "namespace": "default"}})
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "sandbox", "cluster": {
                "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
            "users": entries, "contexts": contexts, "current-context": "sandbox"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", action="append", required=True, type=Path, metavar="DIR",
                    help="a scenario bundle directory (repeatable)")
    ap.add_argument("--port", type=int, default=0, help="port on --host (0: any free port)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--kubeconfig", type=Path, required=True, help="where to write the admin kubeconfig")
    ap.add_argument("--token", default=None, help="the admin bearer token (default: random)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        bundles = [load(b) for b in args.bundle]
    except BundleError as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 2
    sandbox = Sandbox(bundles, admin_token=args.token)
    if not sandbox.loaded:
        print("sandbox: no bundle could be loaded", file=sys.stderr)
        return 2
    cert = generate(args.host)
    httpd = make_server(args.host, args.port, sandbox, threaded=True, request_handler=_QuietHandler,
                        ssl_context=cert.context())
    port = httpd.socket.getsockname()[1]
    server_url = f"https://{args.host}:{port}"
    thread = threading.Thread(target=httpd.serve_forever, name="sandbox-http", daemon=True)
    thread.start()
    probe = urllib.request.Request(f"{server_url}/version", headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    trust = ssl.create_default_context(cadata=cert.ca_pem.decode())
    with urllib.request.urlopen(probe, timeout=10, context=trust) as r:
        r.read()
    users = [u for b in bundles for u in b.users]
    tmp = args.kubeconfig.with_name(args.kubeconfig.name + ".tmp")
    tmp.write_text(yaml.safe_dump(kubeconfig(server_url, cert.ca_pem, sandbox.admin_token, users), sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(args.kubeconfig)
    logging.getLogger("sandbox").info("serving %d objects from %s on %s (kubeconfig %s)", sandbox.store.count(),
                                      ", ".join(sandbox.loaded), server_url, args.kubeconfig)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
