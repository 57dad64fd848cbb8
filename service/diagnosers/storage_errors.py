"""How the storage-initializer's log is read, shared by the diagnosers that read it.

STORAGE_INITIALIZER_FAILED says why the download failed and MODEL_NOT_FOUND_IN_STORAGE says that the
URI has nothing behind it: both must agree on what "nothing there" looks like, so it is said once here.
The advice on a failed download is classified here; its sentences are STORAGE_INITIALIZER_FAILED's.
"""

from __future__ import annotations

import re

from ..diagnosis.catalogue import Phrase

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


# (what the log says, what to do): the first that matches gives the advice. The words are
# STORAGE_INITIALIZER_FAILED's `advice` phrases in codes.yaml (the one code that advises on a failed download).
_ADVICE: tuple[tuple[re.Pattern[str], Phrase], ...] = (
    (re.compile(r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|x509", re.I), Phrase("tls")),
    (re.compile(r"Cannot recognize storage type|unsupported (storage|scheme|protocol)", re.I), Phrase("scheme")),
    (re.compile(r"huggingface|hf_hub|GatedRepoError|RepositoryNotFoundError|hf://", re.I), Phrase("huggingface")),
    (re.compile(r"Could not connect to the endpoint|EndpointConnectionError|Name or service not known|"
                r"timed? ?out|Connection refused|NewConnectionError|Max retries exceeded", re.I),
     Phrase("unreachable")),
)

MISSING_ADVICE = Phrase("missing")
GENERIC_ADVICE = Phrase("generic")


def advice(text: str, missing: bool) -> Phrase:
    """What to do about a failed download, from the words of its log."""
    if missing and not credentials_refused(text):
        return MISSING_ADVICE
    for pattern, what in _ADVICE:
        if pattern.search(text):
            return what
    if missing:
        return MISSING_ADVICE
    return GENERIC_ADVICE
