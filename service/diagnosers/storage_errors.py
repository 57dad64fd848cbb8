"""The storage-initializer's words, shared by the diagnosers that read its log.

STORAGE_INITIALIZER_FAILED says why the download failed and MODEL_NOT_FOUND_IN_STORAGE says that the
URI has nothing behind it: both must agree on what "nothing there" looks like, so it is said once here.
"""

from __future__ import annotations

import re

# A URI with nothing behind it: GCS/minio "does not exist", S3/Azure/local "No model found in", PVC
# "Cannot locate source uri", a local path's "No such file or directory", the clouds' own NoSuchKey/
# BlobNotFound, GCS "No such object", and HTTP(S) URIs ("URI: ... returned a 404 response code",
# "404 Client Error"); a bare 404 counts only as a word of its own, not inside a hash or a host name.
MISSING_AT_SOURCE = re.compile(
    r"does not exist|No model found|Cannot locate source uri|No such file or directory|NoSuchKey|NoSuchBucket|"
    r"BlobNotFound|ContainerNotFound|No such object|not found in bucket|(?<![\w.:/-])404(?![\w.:/-])", re.I)

CREDENTIAL_HINTS = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Unauthorized", "Forbidden",
                    "NoCredentialProviders", "credentials", "403", "401", "Permission denied", "permission",
                    "AuthorizationFailure", "AuthenticationFailed", "invalid_grant")


def missing_at_source(text: str) -> bool:
    """Whether the text says the URI (or the path under it) does not exist."""
    return bool(MISSING_AT_SOURCE.search(text))


def credentials_refused(text: str) -> bool:
    return any(h in text for h in CREDENTIAL_HINTS)
