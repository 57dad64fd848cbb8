"""`python -m sandbox --bundle DIR [--bundle DIR ...] --port N --kubeconfig FILE`.

Serves the bundles over HTTPS on 127.0.0.1:N and writes FILE, a kubeconfig whose token is a cluster
admin (plus one context per user of the bundles' users.yaml), only once the server answers
requests, so that a caller can wait for the file to appear. A bundle whose objects collide with one
loaded before it is skipped, with a warning.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from .bundle import BundleError, load
from .server import Sandbox
from .serving import start


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
    running = start(sandbox, args.host, args.port)
    running.write_kubeconfig(args.kubeconfig, [u for b in bundles for u in b.users])
    logging.getLogger("sandbox").info("serving %d objects from %d bundles on %s (kubeconfig %s)",
                                      sandbox.store.count(), len(sandbox.loaded), running.url, args.kubeconfig)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
