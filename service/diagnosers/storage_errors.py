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


# (what the log says, what to do): the first that matches gives the advice.
_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify failed|x509", re.I),
     "The storage's TLS certificate is not trusted: give the storage-initializer the CA bundle (KServe's "
     "`cabundle` settings), or for a test endpoint set `serving.kserve.io/s3-verifyssl: \"0\"` on the "
     "credentials Secret."),
    (re.compile(r"Cannot recognize storage type|unsupported (storage|scheme|protocol)", re.I),
     "This storage-initializer does not handle that URI scheme: use one it supports (gs://, s3://, "
     "https://, pvc://, hf://, ... depending on the KServe version), a newer storage-initializer image, or a "
     "custom ClusterStorageContainer for the scheme."),
    (re.compile(r"huggingface|hf_hub|GatedRepoError|RepositoryNotFoundError|hf://", re.I),
     "Hugging Face refused the download: a gated or private model needs a token (HF_TOKEN) in the "
     "storage-initializer's environment, which the predictor's env does not reach; provide it through a "
     "Secret on the service account or a ClusterStorageContainer, and accept the model's licence on the Hub."),
    (re.compile(r"Could not connect to the endpoint|EndpointConnectionError|Name or service not known|"
                r"timed? ?out|Connection refused|NewConnectionError|Max retries exceeded", re.I),
     "The storage could not be reached: check the endpoint (`serving.kserve.io/s3-endpoint` on the credentials "
     "Secret) and egress from the namespace (proxy, NetworkPolicy, DNS)."),
)


def advice(text: str, missing: bool) -> str:
    """What to do about a failed download, from the words of its log."""
    if missing and not credentials_refused(text):
        return "The path does not exist: fix `storageUri`."
    for pattern, what in _ADVICE:
        if pattern.search(text):
            return what
    if missing:
        return "The path does not exist: fix `storageUri`."
    return GENERIC_ADVICE


GENERIC_ADVICE = "Fix the cause it names; the download is retried each time the container restarts."
