"""Operator settings, from environment variables (documented in the README), overridable in tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "KSERVE_DOCTOR_"


@dataclass(frozen=True)
class Settings:
    kubeconfig: str = ""                  # KUBECONFIG; empty: the in-cluster service account
    context: str = ""                     # KSERVE_DOCTOR_CONTEXT: kubeconfig context
    remediators: frozenset[str] = field(default_factory=frozenset)  # KSERVE_DOCTOR_REMEDIATORS, comma list
    deadline_seconds: float = 10.0        # KSERVE_DOCTOR_DEADLINE_SECONDS: one diagnosis, end to end
    request_timeout_seconds: float = 5.0  # KSERVE_DOCTOR_REQUEST_TIMEOUT_SECONDS: one API request
    max_requests: int = 20                # KSERVE_DOCTOR_MAX_REQUESTS: API requests per diagnosis
    knative_namespace: str = "knative-serving"  # KSERVE_DOCTOR_KNATIVE_NAMESPACE
    max_memory: str = "64Gi"              # KSERVE_DOCTOR_MAX_MEMORY: the highest limit raise-memory-limit sets
    cors_origins: tuple[str, ...] = ()    # KSERVE_DOCTOR_CORS_ORIGINS: comma list; empty: CORS off
    log_level: str = "INFO"               # KSERVE_DOCTOR_LOG_LEVEL
    workers: int = 32                     # KSERVE_DOCTOR_WORKERS: threads that read from the API server
    max_body_bytes: int = 1024 * 1024     # KSERVE_DOCTOR_MAX_BODY_BYTES
    cache: str = ""                       # KSERVE_DOCTOR_CACHE: "watch" keeps the cluster in memory (informers)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("KUBECONFIG") if f.name == "kubeconfig" else env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _convert(f.name, raw)
        for k, v in (overrides or {}).items():
            key = k.lower().removeprefix(ENV_PREFIX.lower())
            if key in {f.name for f in fields(cls)}:
                values[key] = _convert(key, v) if isinstance(v, str) else v
        return cls(**values)


def _convert(name: str, raw: str) -> Any:
    if name == "remediators":
        return frozenset(x.strip() for x in raw.split(",") if x.strip())
    if name == "cors_origins":
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    if name in ("deadline_seconds", "request_timeout_seconds"):
        return float(raw)
    if name in ("max_requests", "workers", "max_body_bytes"):
        return int(raw)
    return raw
