"""SHARED_MEMORY_TOO_SMALL: a multi-GPU or multi-process model server runs out of shared memory (/dev/shm).

A container gets the container runtime's 64 MiB /dev/shm unless its pod mounts a volume there (an emptyDir
with medium Memory). NCCL (tensor parallelism over the GPUs of one pod), torch.multiprocessing, DataLoader
workers, vLLM's worker queues and Ray's object store pass their data through it, and fail when it is full.
Reads: the log of each serving container of the current pods of each component (the previous instance's
when it restarts, else the current one; the start of a ready server's log when it was read), for the
words of that failure only: NCCL's `Error while creating shared memory segment /dev/shm/nccl-...` or
`failed to extend /dev/shm/...`, PyTorch's `unable to write to file </torch_...>` or `unable to allocate
shared memory(shm) for file </torch_...>`, DataLoader's bus error `insufficient shared memory (shm)` or
`workers are out of shared memory`, vLLM's `Insufficient space in /dev/shm`, Ray's `exceeds memory
available in /dev/shm`, or `No space left on device` about a path under /dev/shm. A bare `No space left
on device` (a full model cache or disk) is not shared memory and is left to CONTAINER_CRASH_LOOP. Then
the pod's spec: what is mounted at /dev/shm in that container (the volume, its medium and sizeLimit), the
GPUs the container asks for (`nvidia.com/gpu`, `amd.com/gpu`, ...), and its memory limit
(core.objects.memory_limit), which bounds the size suggested for /dev/shm since a memory-backed volume
counts against it. A crash loop or failed load with these words is explained better here, so this code
suppresses CONTAINER_CRASH_LOOP and MODEL_LOAD_FAILED for the same component.
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
TORCH = (r"unable to write to file </torch_", r"unable to allocate shared memory\(shm\) for file </torch_")
DATALOADER = (r"insufficient shared memory \(shm\)", r"workers are out of shared memory")
SHM_FULL = (r"Insufficient space in /dev/shm", r"exceeds memory available in /dev/shm",
            r"/dev/shm/\S*.*No space left on device", r"No space left on device.*/dev/shm/")
SIGNS = (("nccl", NCCL), ("torch", TORCH), ("dataloader", DATALOADER), ("shm", SHM_FULL))
# Lines quoted around them once one of them is found (never a sign on their own).
CONTEXT = (r"ncclSystemError", r"NCCL error", r"unhandled system error", r"Bus error", r"No space left on device",
           r"object store is using /tmp instead of /dev/shm", r"DataLoader worker \(pid",
           r"Failed to start model server")

WHAT = {
    "nccl": "NCCL could not create its shared memory segment in /dev/shm",
    "torch": "PyTorch could not write a shared memory file (/dev/shm/torch_...) to pass a tensor between processes",
    "dataloader": "DataLoader worker processes died with a bus error for want of shared memory",
    "shm": "/dev/shm ran out of space",
}
_RX = {kind: re.compile("|".join(pats)) for kind, pats in SIGNS}
_ANY = re.compile("|".join(p for _, pats in SIGNS for p in pats))
_TP = re.compile(r"--tensor[-_]parallel[-_]size[= ](\d+)|--num[-_]shard[= ](\d+)")


@dataclass(frozen=True)
class Sign:
    kind: str               # which failure: nccl, torch, dataloader, shm
    excerpt: LogExcerpt
    lines: list[str]        # the lines that say it


def sign_in(excerpt: LogExcerpt | None) -> Sign | None:
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


def suggestion(size_limit: Decimal | None, memory_limit: str) -> tuple[str, str]:
    """(the size to give /dev/shm, the sentence about the memory limit that bounds it)."""
    target = max(DEFAULT_SIZE, doubled_memory(size_limit)) if size_limit else DEFAULT_SIZE
    limit = _quantity(memory_limit)
    if limit is None:
        return format_bytes(target), ""
    half = Decimal(math.floor(limit / 2 / MI)) * MI
    if target <= half:
        return format_bytes(target), (f" What /dev/shm holds counts against the container's memory limit "
                                      f"({memory_limit}), which leaves room for it.")
    if size_limit is None or half > size_limit:
        return format_bytes(half), (f" What /dev/shm holds counts against the container's memory limit "
                                    f"({memory_limit}), so the size suggested is half of it; raise the limit "
                                    f"too if the server needs more.")
    return format_bytes(target), (f" What /dev/shm holds counts against the container's memory limit "
                                  f"({memory_limit}): raise that limit by as much.")


def describe(volume: dict, memory_limit: str) -> str:
    """The volume at /dev/shm, in words."""
    if not volume:
        return "nothing"
    if "emptyDir" not in volume:
        return f"a {next((k for k in volume if k != 'name'), 'volume')} volume"
    empty_dir = as_dict(volume.get("emptyDir"))
    if empty_dir.get("medium") != "Memory":
        return "an emptyDir on the node's disk, not in memory"
    if empty_dir.get("sizeLimit"):
        return f"an emptyDir with medium Memory and a sizeLimit of {empty_dir['sizeLimit']}"
    return ("an emptyDir with medium Memory and no sizeLimit, "
            + (f"which the memory limit ({memory_limit}) bounds" if memory_limit else "as large as the node allows"))


def state_sentence(pod: Obj, c: podlib.ContainerState) -> str:
    exit_ = c.failed_exit() or {}
    code = exit_.get("exitCode")
    if c.crash_looping or (c.restarts and not c.ready):
        return (f"keeps crashing (exit code {code if code is not None else '?'}, {c.restarts} restarts, now "
                f"{c.waiting_reason or build.pod_state(pod)})")
    if c.exited_with_error:
        return f"exited with code {code}"
    if c.ready:
        return "is running, but fails at its work"
    return f"does not become ready ({build.pod_state(pod)})"


def docker_sentence(container_args: list[str]) -> str:
    """Docker's shared memory options passed to the server, where they do nothing, in words ("" without them)."""
    flags = [a for a in container_args if re.match(r"--(shm-size|ipc)\b", a)]
    if not flags:
        return ""
    return (f" The arguments {', '.join(f'`{a}`' for a in flags)} are options of `docker run`, not of the server: "
            f"in a pod they do not change /dev/shm.")


def workload(kind: str, gpus: int, container_args: list[str]) -> str:
    tp = next((int(g) for m in _TP.finditer(" ".join(container_args)) for g in m.groups() if g), 0)
    if gpus > 1 and kind == "nccl":
        return (f"a server spread over {gpus} GPUs{f' (tensor parallel size {tp})' if tp > 1 else ''}, whose "
                f"per-GPU processes talk through NCCL's shared memory segments")
    if gpus > 1:
        return f"a server spread over {gpus} GPUs, whose per-GPU processes pass tensors through /dev/shm"
    return ("a server whose worker processes (DataLoader workers, torch.multiprocessing) pass tensors to the "
            "main process through /dev/shm")


def diagnose(s: Snapshot) -> list[Finding]:
    def shows(pod: Obj, c: podlib.ContainerState) -> bool:
        return not c.init and podlib.is_serving_container(c.name) and sign_of(s, pod, c.name) is not None

    findings = []
    for component in isvclib.components(s.isvc):
        for a in topology.affected(s, component, shows):
            sign = sign_of(s, a.pod, a.container.name)
            if sign is not None:
                findings.append(_finding(s, component, a.pod, a.container, sign))
    return findings


def _finding(s: Snapshot, component: str, pod: Obj, c: podlib.ContainerState, sign: Sign) -> Finding:
    spec = podlib.spec_container(pod, c.name)
    cpath = podlib.spec_container_path(pod, c.name)
    mount, volume = shm_volume(pod, c.name)
    empty_dir = as_dict(volume.get("emptyDir")) if "emptyDir" in volume else None
    size_limit = _quantity(empty_dir.get("sizeLimit")) if empty_dir is not None else None
    medium = str(empty_dir.get("medium") or "") if empty_dir is not None else ""
    gpus, gpu_resources = gpus_of(pod, c.name)
    limit, limit_source = _memory_limit(s, component, c.name, pod)
    suggested, memory_sentence = suggestion(size_limit, limit)
    variant = "default" if not mount else "size_limit" if size_limit is not None else "mounted"
    summary = build.summary_line(sign.lines, [p for _, pats in SIGNS for p in pats])
    sc = isvclib.serving_container(s.isvc, component, c.name)
    args = {
        "component": component, "container": c.name, "pod": name_of(pod), "state_sentence": state_sentence(pod, c),
        "what": WHAT[sign.kind], "log_summary": build.quote(summary),
        "workload": workload(sign.kind, gpus, [str(x) for x in as_list(spec.get("args"))]),
        "gpus": gpus, "gpu_sentence": (f" {c.name} asks for {gpus} GPU{'s' if gpus != 1 else ''} ({gpu_resources})."
                                       if gpus else f" {c.name} asks for no GPU."),
        "mount_path": SHM, "volume": str(volume.get("name") or mount.get("name") or ""),
        "volume_kind": describe(volume, limit),
        "size_limit": format_bytes(size_limit) if size_limit is not None else "",
        "medium": medium, "suggested": suggested, "memory_sentence": memory_sentence,
        "memory_limit": limit or "none set", "memory_limit_source": limit_source,
        "spec_path": sc.path if sc is not None else "", "failure": sign.kind,
        "docker_sentence": docker_sentence([str(x) for x in as_list(spec.get("args"))]),
    }
    findings_evidence: list[Evidence | None] = [
        build.log(sign.excerpt, build.telling_lines(sign.excerpt.lines, [*(p for _, pats in SIGNS for p in pats),
                                                                         *CONTEXT]),
                  "the model server's own words about shared memory"),
        build.observed(pod, c.path, build.container_value(c), f"{c.name} of pod {name_of(pod)}"),
        build.observed(pod, f"{cpath}.volumeMounts[mountPath={SHM}]", mount or None,
                       f"what is mounted at {SHM}" if mount else
                       f"nothing is mounted at {SHM}: the container runtime's default of 64 MiB applies"),
        build.observed(pod, f"spec.volumes[name={volume.get('name')}]", volume, f"the volume at {SHM}")
        if volume else None,
        build.observed(pod, f"{cpath}.resources", dig(spec, "resources"),
                       f"{gpus} GPU{'s' if gpus != 1 else ''} asked for" + (f" ({gpu_resources})" if gpus else "")
                       + (f"; memory limit {limit}" if limit else "")),
    ]
    latest = topology.latest_revision(s, component)
    if latest is not None and not cond.is_true(latest, "Ready"):
        findings_evidence.append(build.condition(latest, "ContainerHealthy"))
    return build.make("SHARED_MEMORY_TOO_SMALL", component, args, findings_evidence, variant=variant, obj=pod)


def _memory_limit(s: Snapshot, component: str, container: str, pod: Obj) -> tuple[str, str]:
    """(the container's memory limit, where it comes from); ("", "no memory limit") without one."""
    limit = memory_limit_of.effective(s.isvc, component, container, s.runtimes or (), [pod])
    if limit.source == "spec":
        return limit.value, limit.spec_path
    if limit.source in ("runtime", "pod"):
        return limit.value, f"the pod's {container}"
    return "", "no memory limit"
