"""gunicorn settings for kserve-doctor (gunicorn reads ./gunicorn.conf.py from its working directory).

Command-line flags win over this file (`gunicorn -w 1 -b 127.0.0.1:PORT 'service:create_app()'` still
means one worker on that address), and this file only reads environment variables, so the same file
serves the container image, `python3 dev.py run` and the tests.

Environment variables it reads:

- `WEB_CONCURRENCY` (2): worker processes;
- `GUNICORN_THREADS` (4): threads per worker (gthread);
- `GUNICORN_ACCESS_LOG` (off): `json` for one JSON line per request on stdout, `text` for gunicorn's format
  (the service already logs every request itself, on stderr);
- `KSERVE_DOCTOR_LOG_LEVEL` (INFO): gunicorn's own log level too;
- `PROMETHEUS_MULTIPROC_DIR` (unset): prometheus_client's multiprocess directory, emptied at start; a
  worker that exits is marked dead there.

Nothing here writes outside /tmp and /dev/shm (the root filesystem may be read-only).
"""

from __future__ import annotations

import glob
import json
import os
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = ["0.0.0.0:8080"]
workers = _int("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = 30            # a diagnosis has its own deadline (KSERVE_DOCTOR_DEADLINE_SECONDS, 10 s by default)
graceful_timeout = 20   # below Kubernetes' default terminationGracePeriodSeconds of 30
keepalive = 5
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeat files off the (read-only) disk
control_socket_disable = True  # gunicorn >= 25.1 would create $HOME/.gunicorn/gunicorn.ctl otherwise
loglevel = os.environ.get("KSERVE_DOCTOR_LOG_LEVEL", "info").lower()
errorlog = "-"


class JsonAccessLogger(Logger):
    """gunicorn's logger, with access lines written as one JSON object each (values properly escaped)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = str(getattr(resp, "status", "") or "").split(" ")[0]
        line = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "remote": environ.get("REMOTE_ADDR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status) if status.isdigit() else status,
            "bytes": getattr(resp, "sent", None),
            "durationMs": round(request_time.total_seconds() * 1000, 3),
            "userAgent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info(json.dumps(line, separators=(",", ":")))
        except Exception:
            self.exception("could not write an access log line")


_access = os.environ.get("GUNICORN_ACCESS_LOG", "").strip().lower()
if _access in ("json", "text"):
    accesslog = "-"  # stdout: the error log stays on stderr
    if _access == "json":
        logger_class = JsonAccessLogger
else:
    accesslog = None


_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if _multiproc_dir:

    def on_starting(server: Any) -> None:
        """Start from an empty multiprocess directory: files of a previous container's workers would be summed."""
        os.makedirs(_multiproc_dir, exist_ok=True)
        for path in glob.glob(os.path.join(_multiproc_dir, "*.db")):
            try:
                os.remove(path)
            except OSError as e:
                server.log.warning("could not remove stale metrics file %s: %s", path, e)

    def child_exit(server: Any, worker: Any) -> None:
        """Tell prometheus_client a worker is gone, so its live gauges stop counting."""
        try:
            from prometheus_client import multiprocess
        except ImportError:
            return
        multiprocess.mark_process_dead(worker.pid)
