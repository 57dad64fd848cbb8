"""Structured logs: one JSON object per line, each carrying the request id of the request it belongs to.

The request id comes from the caller's X-Request-ID (when it is a sane token) or is made here, and
is echoed in the response; a context variable carries it to every log record, including the audit
lines of remediations. Messages never contain secrets: the service's own token is never logged, and
what callers send is logged only through fields that are escaped by the JSON encoder.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CONFIGURED = "_kserve_doctor_json"


def request_id_from(header: str | None) -> str:
    return header if header and _SANE.match(header) else uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    """Stamps each record with the request id: from the request being served, else the context variable
    that gather threads inherit."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            from flask import g, has_request_context

            record.request_id = g.get("request_id", "") if has_request_context() else REQUEST_ID.get()
        return True


def configure(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process, once (create_app may run many times in tests)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(getattr(h, _CONFIGURED, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}", style="{",
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    handler.addFilter(_RequestIdFilter())
    setattr(handler, _CONFIGURED, True)
    root.addHandler(handler)
    for noisy in ("urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
