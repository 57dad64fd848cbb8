"""The diagnosers: one module per failure class, each a pure function of the snapshot.

Registering a diagnoser is one line below. Each module's docstring says what it detects and which
evidence it reads; its `READS` declares what it needs read beyond wave one (and on what sign), and
none of them calls the API server. Fallbacks run last and also see what the others found.
"""

from . import (
    container_create,
    crash_loop,
    image_pull,
    ingress,
    ingress_probes,
    model_load,
    model_storage,
    not_ready,
    oom,
    permissions,
    probes,
    progress_deadline,
    quota,
    revision_missing,
    runtime,
    scheduling,
    shared_memory,
    stale_status,
    storage_initializer,
    tag_resolution,
)

DIAGNOSERS = (
    ingress,
    ingress_probes,
    revision_missing,
    storage_initializer,
    model_storage,
    oom,
    shared_memory,
    crash_loop,
    model_load,
    tag_resolution,
    image_pull,
    container_create,
    scheduling,
    probes,
    progress_deadline,
    runtime,
    quota,
    permissions,
    stale_status,
)

FALLBACKS = (
    not_ready,
)
