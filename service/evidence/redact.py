"""Secrets never leave the service: redaction of objects, log lines and messages at gather time.

Redacting when evidence is gathered (not when it is shown) means no diagnoser, renderer or log line
can leak what it never received. Environment values are dropped entirely except for a few names
that carry locations (which are kept with credentials stripped); `valueFrom` references name a
Secret without revealing it and are kept. Free text (logs, termination messages, condition and event
messages) is scrubbed of the shapes credentials take: keys and secrets in assignments, bearer tokens,
credentials in URLs, signed-URL parameters, AWS access keys, JWTs and PEM private keys.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"

# Environment variables whose value is a location a diagnosis shows (credentials still stripped).
SHOWN_ENV = frozenset({"STORAGE_URI", "MODEL_NAME", "MODEL_DIR", "PROTOCOL", "PORT", "HTTP_PORT", "GRPC_PORT",
                       "AWS_REGION", "AWS_DEFAULT_REGION", "S3_ENDPOINT", "AWS_ENDPOINT_URL", "S3_USE_HTTPS",
                       "S3_VERIFY_SSL", "KSERVE_CONTAINER_NAME"})

# (needles, pattern, replacement): a pattern runs only when one of its needles is in the lower-cased text.
# Almost no text holds a credential, and the cheap substring test spares most of the regex work, which
# otherwise is the largest cost of a diagnosis.
_PATTERNS: list[tuple[tuple[str, ...], re.Pattern[str], str]] = [
    (("private key",),
     re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
     "-----BEGIN PRIVATE KEY-----" + REDACTED + "-----END PRIVATE KEY-----"),
    (("bearer", "basic"), re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), REDACTED),
    (("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva"),
     re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{16}\b"), REDACTED),
    (("ghp", "gho", "ghs", "ghu", "github_pat", "glpat", "xox", "hf_", "hf-", "sk_", "sk-"),
     re.compile(r"(?i)\b(ghp|gho|ghs|ghu|github_pat|glpat|xox[abpr]|hf|sk)[-_][A-Za-z0-9_-]{16,}"), REDACTED),
    # scheme://user:password@host -> scheme://<redacted>@host
    # (anchored on "://" itself: a pattern that starts at every word and backtracks to find the scheme
    # costs milliseconds on a log)
    (("://",), re.compile(r"(?<=://)[^/\s:@\"']+:[^/\s@\"']*@"), REDACTED + "@"),
    # signed URL parameters
    (("?", "&"),
     re.compile(r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|"
                r"x-goog-credential|sig|signature|token|access_token|sv|se|skoid|sktid)=)[^&\s\"']+"),
     r"\1" + REDACTED),
    # key=value / key: value / "key": "value" where the key names a secret
    (("password", "passwd", "pwd", "secret", "token", "key"),
     # from the word that names the secret: what comes before it in the key stays as it is anyway
     re.compile(r"(?i)((?=[psta])(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
                r"private[_-]?key)(?![\w-])[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"'}]+)"),
     r"\1" + REDACTED),
]


# Strings found clean before: the same names, labels and messages come back in every diagnosis of a
# polled service, and a dictionary lookup is a fraction of the needle tests. Only short strings are kept
# (none holds a secret: each came back unchanged), and the whole set is dropped when it is full.
_CLEAN: dict[str, None] = {}
_CLEAN_MAX_ENTRIES = 20_000
_CLEAN_MAX_CHARS = 256


def text(value: str) -> str:
    if not value or value in _CLEAN:
        return value
    original = value
    lower = value.lower()
    for needles, pattern, repl in _PATTERNS:
        if any(n in lower for n in needles):
            value = pattern.sub(repl, value)
            lower = value.lower()
    if value == original and len(value) <= _CLEAN_MAX_CHARS:
        if len(_CLEAN) >= _CLEAN_MAX_ENTRIES:
            _CLEAN.clear()
        _CLEAN[value] = None
    return value


def _env(env: Any) -> Any:
    if not isinstance(env, list):
        return env
    out = []
    for item in env:
        if isinstance(item, dict) and "value" in item:
            name = str(item.get("name", ""))
            shown = name in SHOWN_ENV or name.endswith(("_URI", "_URL"))
            out.append({**item, "value": text(str(item["value"])) if shown else REDACTED})
        else:
            out.append(item)
    return out


def obj(value: Any, key: str = "") -> Any:
    """A redacted deep copy of a JSON value, without managedFields: the API server's bookkeeping of who
    set which field is often larger than the object, and no diagnosis reads it."""
    if isinstance(value, dict):
        if key == "data" and value and all(isinstance(v, str) for v in value.values()):
            return dict.fromkeys(value, REDACTED)  # Secret-like data blocks, wherever they appear
        out = {}
        for k, v in value.items():
            if k == "managedFields":
                continue
            if k == "env":
                out[k] = [obj(e) for e in _env(v)] if isinstance(v, list) else obj(v, k)
            elif k == "last-applied-configuration" or k.endswith("/last-applied-configuration"):
                out[k] = REDACTED  # a second copy of the spec, env values included
            else:
                out[k] = obj(v, k)
        return out
    if isinstance(value, list):
        return [obj(v, key) for v in value]
    if isinstance(value, str):
        return text(value)
    return value


def config_map(value: dict[str, Any]) -> dict[str, Any]:
    """ConfigMaps are configuration, not secrets: keep data, scrub it like text."""
    out = obj({k: v for k, v in value.items() if k != "data"})
    out["data"] = {k: text(str(v)) for k, v in (value.get("data") or {}).items()}
    return out
