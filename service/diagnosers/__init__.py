"""The diagnosers: one module per failure class, each a pure function of the snapshot.

Registering a diagnoser is one line below. Each module's docstring says what it detects and which
evidence it reads; none of them calls the API server. Fallbacks run last and also see what the
others found.
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
    stale_status,
    storage_initializer,
    tag_resolution,
)

DIAGNOSERS = (
    ingress.diagnose,
    ingress_probes.diagnose,
    revision_missing.diagnose,
    storage_initializer.diagnose,
    model_storage.diagnose,
    oom.diagnose,
    crash_loop.diagnose,
    model_load.diagnose,
    tag_resolution.diagnose,
    image_pull.diagnose,
    container_create.diagnose,
    scheduling.diagnose,
    probes.diagnose,
    progress_deadline.diagnose,
    runtime.diagnose,
    quota.diagnose,
    permissions.diagnose,
    stale_status.diagnose,
)

FALLBACKS = (
    not_ready.diagnose,
)
