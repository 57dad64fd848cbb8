"""SHARED_MEMORY_TOO_SMALL: a multi-GPU or multi-process model server runs out of shared memory (/dev/shm).

A container gets the container runtime's 64 MiB /dev/shm unless its pod mounts a volume there (an emptyDir
with medium Memory). NCCL (tensor parallelism over the GPUs of one pod), torch.multiprocessing, DataLoader
workers, vLLM's worker queues and Ray's object store pass their data through it, and fail when it is full.

Reads: the log of each serving container of the current pods of each component (the previous instance's
when it restarts, else the current one; the start of a ready server's log when it was read), for the words
of that failure only: NCCL's `Error while creating shared memory segment /dev/shm/nccl-...` or `failed to
extend /dev/shm/...`, PyTorch's `unable to write to file </torch_...>` or `unable to allocate shared
memory(shm) for file </torch_...>`, DataLoader's bus error `insufficient shared memory (shm)` or `workers
are out of shared memory`, vLLM's `Insufficient space in /dev/shm`, Ray's `exceeds memory available in
/dev/shm`, or `No space left on device` about a path under /dev/shm. A bare `No space left on device` (a
full model cache or disk) is not shared memory and stays CONTAINER_CRASH_LOOP's. Then the pod's spec: what
is mounted at /dev/shm in that container (the volume, its medium and sizeLimit), the GPUs the container
asks for (`nvidia.com/gpu`, `amd.com/gpu`, ...), its arguments (a tensor parallel size; Docker's
`--shm-size` / `--ipc` passed where they do nothing), and its memory limit (core.objects.memory_limit),
which bounds the size suggested for /dev/shm since a memory-backed volume counts against it. The revision's
ContainerHealthy is reported context. The facts carry what `add-shared-memory` needs: component,
container, the volume already there (if any) and the suggested size.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from core.objects import conditions as cond
from core.objects import inference_service as isvclib
from core.objects import memory_limit as memory_limit_of
from core.objects import pods as podlib
from core.objects.fields import as_dict, as_list, dig, name_of
from core.quantities import GI, MI, QuantityError, doubled_memory, format_bytes, parse

from ..diagnosis import build
from ..diagnosis.catalogue import Phrase
from ..diagnosis.finding import Evidence, Finding
from ..evidence import topology
from ..evidence.needs import Need, Reads
from ..evidence.snapshot import LogExcerpt, Obj, Snapshot

READS = (Reads((Need.FAILING_POD_LOGS, Need.SERVER_STARTUP_LOGS)),)

SHM = "/dev/shm"
# The size suggested when nothing says more: what the KServe and vLLM guides start from for a few GPUs.
DEFAULT_SIZE = 2 * GI

# What each failure says, strictly: every pattern names shared memory, /dev/shm, or torch's shm files.
NCCL = (r"NCCL WARN .*Error while creating shared memory segment", r"NCCL WARN .*failed to extend /dev/shm/")
DATALOADER = (r"insufficient shared memory \(shm\)", r"workers are out of shared memory")
TORCH = (r"unable to write to file </torch_", r"unable to allocate shared memory\(shm\) for file </torch_")
SHM_FULL = (r"Insufficient space in /dev/shm", r"exceeds memory available in /dev/shm",
            r"/dev/shm/\S*.*No space left on device", r"No space left on device.*/dev/shm/")
# The first kind found names the failure (the `what` phrase).
SIGNS = {"nccl": NCCL, "dataloader": DATALOADER, "torch": TORCH, "shm": SHM_FULL}
# the catalogue phrases {what} can be (one per sign), for the catalogue test
PHRASE_KEYS = {"what": frozenset(SIGNS)}
# Lines quoted around them once one of them is found (never a sign on their own).
CONTEXT = (r"ncclSystemError", r"NCCL error: unhandled system error", r"Bus error", r"No space left on device",
           r"object store is using /tmp instead of /dev/shm", r"RuntimeError: DataLoader worker \(pid",
           r"Failed to start model server")

_RX = {kind: re.compile("|".join(pats)) for kind, pats in SIGNS.items()}
_ALL = [p for pats in SIGNS.values() for p in pats]
_ANY = re.compile("|".join(_ALL))
_TP = re.compile(r"--tensor[-_]parallel[-_]size[= ](\d+)|--num[-_]shard[= ](\d+)")
_DOCKER_FLAGS = re.compile(r"--(shm-size|ipc)\b")


@dataclass(frozen=True)
class Sign:
    kind: str               # which failure: a key of SIGNS
    excerpt: LogExcerpt
    lines: list[str]        # the lines that say it


def sign_in(excerpt: LogExcerpt | None) -> Sign | None:
    """The shared memory failure one log excerpt shows, or None."""
    if excerpt is None or not excerpt.text:
        return None
    hits = [ln for ln in excerpt.lines if _ANY.search(ln)]
    if not hits:
        return None
    kind = next(k for k, rx in _RX.items() if any(rx.search(ln) for ln in hits))
    return Sign(kind, excerpt, hits)


def sign_of(s: Snapshot, pod: Obj, container: str) -> Sign | None:
    """The shared memory failure in the container's log: its previous instance first, then the current one."""
    for previous in (True, False):
        if (found := sign_in(s.log(name_of(pod), container, previous))) is not None:
            return found
    return None


def shm_volume(pod: Obj, container: str) -> tuple[dict, dict]:
    """(the volumeMount at /dev/shm, the volume it mounts); empty dicts when nothing is mounted there."""
    mounts = as_list(podlib.spec_container(pod, container).get("volumeMounts"))
    mount = next((as_dict(m) for m in mounts if str(as_dict(m).get("mountPath", "")).rstrip("/") == SHM), {})
    volume = next((as_dict(v) for v in as_list(dig(pod, "spec", "volumes"))
                   if mount and as_dict(v).get("name") == mount.get("name")), {})
    return mount, volume


def gpus_of(pod: Obj, container: str) -> tuple[int, str]:
    """(how many GPUs the container asks for, the resource names), from its limits (GPUs have no overcommit)."""
    res = as_dict(podlib.spec_container(pod, container).get("resources"))
    asked = as_dict(res.get("limits")) or as_dict(res.get("requests"))
    count, names = 0, []
    for name, value in asked.items():
        if name.endswith("/gpu") or name.startswith("gpu.intel.com/"):
            try:
                count += int(parse(value))
            except QuantityError:
                continue
            names.append(name)
    return count, ", ".join(sorted(names))


def _quantity(value: object) -> Decimal | None:
    try:
        return parse(value) if value not in (None, "") else None
    except QuantityError:
        return None


def suggestion(size_limit: Decimal | None, memory_limit: str) -> tuple[str, Phrase]:
    """(the size to give /dev/shm, the `memory_sentence` phrase on the memory limit that bounds it).

    2Gi, or twice the sizeLimit that proved too small when that is more; at most half of the container's
    memory limit, since what a memory-backed volume holds counts against it."""
    target = max(DEFAULT_SIZE, doubled_memory(size_limit)) if size_limit else DEFAULT_SIZE
    limit = _quantity(memory_limit)
    if limit is None:
        return format_bytes(target), Phrase("none")
    half = Decimal(math.floor(limit / 2 / MI)) * MI
    if target <= half:
        return format_bytes(target), Phrase("room")
    if size_limit is None or half > size_limit:
        return format_bytes(half), Phrase("half")
    return format_bytes(target), Phrase("raise")


def volume_kind(volume: dict, memory_limit: str) -> Phrase:
    """What is mounted at /dev/shm, as a `volume_kind` phrase."""
    if "emptyDir" not in volume:
        return Phrase.of("other", volume_type=next((k for k in volume if k != "name"), "volume"))
    empty_dir = as_dict(volume.get("emptyDir"))
    if empty_dir.get("medium") != "Memory":
        return Phrase("disk")
    if empty_dir.get("sizeLimit"):
        return Phrase.of("size_limit", size_limit=str(empty_dir["sizeLimit"]))
    return Phrase("bounded") if memory_limit else Phrase("unbounded")


def state(pod: Obj, c: podlib.ContainerState) -> Phrase:
    """How the container fails, as a `state` phrase."""
    code = (c.failed_exit() or {}).get("exitCode", "?")
    if c.crash_looping or (c.restarts and not c.ready):
        return Phrase.of("crash_loop", exit_code=code, restarts=c.restarts,
                         waiting=c.waiting_reason or build.pod_state(pod))
    if c.exited_with_error:
        return Phrase.of("exited", exit_code=code)
    if c.ready:
        return Phrase("running")
    return Phrase.of("not_ready", waiting=build.pod_state(pod))


def workload(kind: str, gpus: int, container_args: list[str]) -> Phrase:
    """Who needs the shared memory, as a `workload` phrase."""
    tp = next((int(g) for m in _TP.finditer(" ".join(container_args)) for g in m.groups() if g), 0)
    if gpus > 1 and kind == "nccl":
        return Phrase.of("nccl_tp", tensor_parallel=tp) if tp > 1 else Phrase("nccl")
    return Phrase("gpus") if gpus > 1 else Phrase("workers")


def diagnose(s: Snapshot) -> list[Finding]:
    def shows(pod: Obj, c: podlib.ContainerState) -> bool:
        return not c.init and podlib.is_serving_container(c.name) and sign_of(s, pod, c.name) is not None

    findings = []
    for component in topology.components(s):
        for a in topology.affected(s, component, shows):
            sign = sign_of(s, a.pod, a.container.name)
            if sign is not None:
                findings.append(_finding(s, component, a.pod, a.container, sign))
    return findings


def _finding(s: Snapshot, component: str, pod: Obj, c: podlib.ContainerState, sign: Sign) -> Finding:
    spec = podlib.spec_container(pod, c.name)
    cpath = podlib.spec_container_path(pod, c.name)
    container_args = [str(x) for x in as_list(spec.get("args"))]
    mount, volume = shm_volume(pod, c.name)
    empty_dir = as_dict(volume.get("emptyDir"))
    size_limit = _quantity(empty_dir.get("sizeLimit"))
    gpus, gpu_resources = gpus_of(pod, c.name)
    limit, limit_source = _memory_limit(s, component, c.name, pod)
    suggested, memory_sentence = suggestion(size_limit, limit)
    memory_backed = empty_dir.get("medium") == "Memory"
    variant = "default" if not mount else "size_limit" if memory_backed and size_limit is not None else "mounted"
    docker_flags = [a for a in container_args if _DOCKER_FLAGS.match(a)]
    sc = isvclib.serving_container(s.target, component, c.name)
    args = {
        # what add-shared-memory draws its offer from
        "component": component, "container": c.name, "mount_path": SHM, "suggested": suggested,
        "volume": str(volume.get("name") or mount.get("name") or ""),
        "size_limit": format_bytes(size_limit) if size_limit is not None else "",
        "medium": str(empty_dir.get("medium") or ""), "spec_path": sc.path if sc is not None else "",
        # what was found
        "pod": name_of(pod), "failure": sign.kind, "gpus": gpus, "gpu_resources": gpu_resources,
        "memory_limit": limit or "none set", "memory_limit_source": limit_source,
        "log_summary": build.quote(build.summary_line(sign.lines, SIGNS[sign.kind])),
        "docker_flags": ", ".join(f"`{a}`" for a in docker_flags),
        # the sentences that depend on it
        "state": state(pod, c), "what": Phrase(sign.kind), "workload": workload(sign.kind, gpus, container_args),
        "gpu_sentence": Phrase("none") if not gpus else Phrase("one") if gpus == 1 else Phrase("many"),
        "volume_kind": volume_kind(volume, limit) if mount else Phrase("nothing"),
        "memory_sentence": memory_sentence, "docker_sentence": Phrase("flags") if docker_flags else Phrase("none"),
    }
    evidence: list[Evidence | None] = [
        build.log(sign.excerpt, build.telling_lines(sign.excerpt.lines, [*_ALL, *CONTEXT]),
                  "the model server's own words about shared memory"),
        build.observed(pod, c.path, build.container_value(c), f"{c.name} of pod {name_of(pod)}"),
        build.observed(pod, f"{cpath}.volumeMounts[mountPath={SHM}]", mount, f"what is mounted at {SHM}")
        if mount else build.observed(pod, f"{cpath}.volumeMounts", spec.get("volumeMounts") or [],
                                     f"nothing is mounted at {SHM}: the container runtime's default of 64 MiB applies"),
        build.observed(pod, f"spec.volumes[name={volume.get('name')}]", volume, f"the volume at {SHM}")
        if volume else None,
        build.observed(pod, f"{cpath}.resources", dig(spec, "resources"),
                       f"{gpus} GPU{'' if gpus == 1 else 's'} asked for" + (f" ({gpu_resources})" if gpus else "")
                       + (f"; memory limit {limit}" if limit else "")),
    ]
    latest = topology.latest_revision(s, component)
    if latest is not None and not cond.is_true(latest, "Ready"):
        evidence.append(build.condition(latest, "ContainerHealthy"))
    return build.make("SHARED_MEMORY_TOO_SMALL", component, args, evidence, variant=variant, obj=pod)


def _memory_limit(s: Snapshot, component: str, container: str, pod: Obj) -> tuple[str, str]:
    """(the container's memory limit, the field or object it comes from); ("", "") without one."""
    limit = memory_limit_of.effective(s.target, component, container, s.runtimes or (), [pod])
    if limit.source == "spec":
        return limit.value, limit.spec_path
    if limit.source == "runtime" and limit.runtime is not None:
        return limit.value, f"{limit.runtime.get('kind')} {name_of(limit.runtime)}"
    if limit.source == "pod":
        return limit.value, f"{podlib.spec_container_path(pod, container)}.resources.limits.memory"
    return "", ""
