"""Object names: the DNS-1123 label rule that namespaces and InferenceService names follow.

Written once here: the HTTP layer validates path parameters and request bodies with it, the OpenAPI
document publishes it, and the core refuses a name that breaks it before anything is read.
"""

from __future__ import annotations

import re

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAX_LABEL = 63
_LABEL = re.compile(DNS1123_LABEL)


def label_problem(value: str, what: str) -> str | None:
    """Why `value` (a namespace or an InferenceService name, described as `what`) is not a DNS-1123 label, or None."""
    if not value:
        return f"{what} must not be empty"
    if len(value) > MAX_LABEL:
        return f"{what} must be no more than {MAX_LABEL} characters (got {len(value)})"
    if not _LABEL.match(value):
        return (f"{what} must be a DNS-1123 label: lower case alphanumeric characters or '-', starting and ending "
                "with an alphanumeric character")
    return None
