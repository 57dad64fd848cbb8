"""SHARED_MEMORY_TOO_SMALL, as the people who hit it would tell it: each bundle through the offline loader.

A tensor-parallel vLLM on two GPUs with nothing at /dev/shm; DataLoader workers on a /dev/shm emptyDir of
256Mi; and a full model cache, whose "No space left on device" is not shared memory at all.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox import offline
from service.diagnosers import shared_memory
from service.diagnosis import engine
from service.doctor import REGISTRY
from service.evidence.snapshot import LogExcerpt
from tests.conftest import SCENARIOS, expectation

BUNDLES = SCENARIOS / "shared-memory"
NCCL_TP2 = BUNDLES / "hf-vllm-tp2-rawdeploy-no-dshm-nccl"
DATALOADER_256MI = BUNDLES / "knative-custom-predictor-dataloader-dshm-256mi"
FULL_CACHE = BUNDLES / "hf-vllm-tp2-hf-cache-pvc-full-not-shm"


def codes(body):
    return [f["code"] for f in body["findings"]]


def the_finding(body):
    [finding] = [f for f in body["findings"] if f["code"] == "SHARED_MEMORY_TOO_SMALL"]
    return finding


def the_facts(bundle):
    """The finding as the engine hands it to remediators: its variant and facts (not part of the answer)."""
    d = engine.run(offline.snapshot(bundle), REGISTRY)
    [finding] = [f for f in d.findings if f.code == "SHARED_MEMORY_TOO_SMALL"]
    return finding.variant, finding.facts


def evidence_at(finding, suffix):
    return [e for e in finding["evidence"] if e.get("field", "").endswith(suffix)]


def logs_of(finding):
    return [line for e in finding["evidence"] if "log" in e for line in e["log"]["lines"]]


@pytest.mark.parametrize("bundle", [NCCL_TP2, DATALOADER_256MI, FULL_CACHE], ids=lambda b: b.name)
def test_each_bundle_reports_exactly_the_findings_its_expect_yaml_lists_in_order(bundle):
    expect = expectation(bundle)
    body = offline.diagnosis(bundle)
    assert codes(body) == expect["codes"]
    assert [{k: f[k] for k in ("code", "component", "severity")} for f in body["findings"]] == expect["findings"]
    assert not set(codes(body)) & set(expect.get("absent") or [])


def test_a_tensor_parallel_vllm_with_nothing_at_dev_shm_is_told_to_mount_a_memory_backed_volume():
    # kserve#3791: Qwen2 on the huggingface runtime over 2 GPUs crash-loops with NCCL's shm error, and the
    # user's --shm-size=30gb --ipc=host (Docker's flags, passed as model args) changed nothing
    body = offline.diagnosis(NCCL_TP2)
    assert codes(body) == ["SHARED_MEMORY_TOO_SMALL"]  # not a bare crash loop, not a failed load
    finding = the_finding(body)
    assert finding["severity"] == "critical" and finding["component"] == "predictor"
    assert finding["object"]["name"] == "hugging-model-1-predictor-5c86c57756-p7ghj"
    words = finding["explanation"]
    assert "Nothing is mounted at /dev/shm in kserve-container" in words
    assert "default of 64 MiB" in words
    assert "2 GPUs (tensor parallel size 2)" in words
    assert "`emptyDir: {medium: Memory, sizeLimit: 2Gi}`" in words and "`mountPath: /dev/shm`" in words
    assert "`--shm-size=30gb`, `--ipc=host` are options of `docker run`" in words
    assert "Error while creating shared memory segment /dev/shm/nccl-H1dBqY" in words

    assert any("NCCL WARN Error while creating shared memory segment /dev/shm/nccl-" in line
               for line in logs_of(finding))
    [mounts] = evidence_at(finding, "spec.containers[0].volumeMounts")
    assert "nothing is mounted at /dev/shm" in mounts["note"]
    assert [m["mountPath"] for m in mounts["value"]] == ["/mnt/models"]
    [resources] = evidence_at(finding, ".resources")
    assert resources["value"]["limits"]["nvidia.com/gpu"] == "2" and "2 GPUs asked for" in resources["note"]


def test_the_tensor_parallel_finding_carries_what_add_shared_memory_needs():
    variant, facts = the_facts(NCCL_TP2)
    assert variant == "default"
    assert {k: facts[k] for k in ("component", "container", "mount_path", "suggested", "volume", "size_limit",
                                  "gpus", "memory_limit", "spec_path", "failure")} == {
        "component": "predictor", "container": "kserve-container", "mount_path": "/dev/shm", "suggested": "2Gi",
        "volume": "", "size_limit": "", "gpus": 2, "memory_limit": "50Gi", "spec_path": "spec.predictor.model",
        "failure": "nccl"}


def test_dataloader_workers_on_a_256mi_dev_shm_are_told_to_raise_its_size_limit():
    # a custom predictor embeds its catalogue at load with 8 DataLoader workers; its /dev/shm is a 256Mi emptyDir
    body = offline.diagnosis(DATALOADER_256MI)
    assert codes(body) == ["REVISION_MISSING", "SHARED_MEMORY_TOO_SMALL"]
    revision_missing = next(f for f in body["findings"] if f["code"] == "REVISION_MISSING")
    assert revision_missing["causes"] == ["SHARED_MEMORY_TOO_SMALL"]  # Knative's symptom names the cause
    finding = the_finding(body)
    words = finding["explanation"]
    assert "DataLoader worker processes died with a bus error for want of shared memory" in words
    assert "the volume dshm, an emptyDir with medium Memory and a sizeLimit of 256Mi" in words
    assert "Raise the volume's sizeLimit, to 2Gi" in words
    assert "asks for 1 GPU (nvidia.com/gpu)" in words
    assert "memory limit (8Gi), which leaves room for it" in words

    lines = logs_of(finding)
    assert "RuntimeError: unable to write to file </torch_739_144252761_4>: No space left on device (28)" in lines
    assert any("insufficient shared memory (shm)" in line for line in lines)
    [volume] = evidence_at(finding, "spec.volumes[name=dshm]")
    assert volume["value"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "256Mi"}
    [mount] = evidence_at(finding, "volumeMounts[mountPath=/dev/shm]")
    assert mount["value"]["name"] == "dshm"
    [resources] = evidence_at(finding, ".resources")
    assert resources["value"]["limits"]["nvidia.com/gpu"] == "1"

    variant, facts = the_facts(DATALOADER_256MI)
    assert variant == "size_limit"
    assert (facts["volume"], facts["size_limit"], facts["medium"], facts["suggested"], facts["failure"]) == (
        "dshm", "256Mi", "Memory", "2Gi", "dataloader")
    assert facts["spec_path"] == "spec.predictor.containers[0]"


def test_a_full_model_cache_is_a_crash_loop_not_shared_memory():
    # two GPUs, a /dev/shm volume, "No space left on device" and vLLM's ShmRingBuffer in the log: still a disk
    body = offline.diagnosis(FULL_CACHE)
    assert "SHARED_MEMORY_TOO_SMALL" not in codes(body)
    crash = next(f for f in body["findings"] if f["code"] == "CONTAINER_CRASH_LOOP")
    assert '"OSError: [Errno 28] No space left on device"' in crash["explanation"]


@pytest.mark.parametrize("line", [
    "OSError: [Errno 28] No space left on device",
    "OSError: [Errno 28] No space left on device: '/mnt/models/model-00001-of-00004.safetensors'",
    "UserWarning: Not enough free disk space to download the file.",
    "INFO 12-03 10:29:54 shm_broadcast.py:236] vLLM message queue communication handle: Handle(connect_ip='127.0.0.1', "
    "buffer=<vllm.distributed.device_communicators.shm_broadcast.ShmRingBuffer object at 0x7f2b4c1d6b90>)",
    "RuntimeError: NCCL error: unhandled system error (run with NCCL_DEBUG=INFO for details)",
    "NCCL WARN Error while attaching to shared memory segment /dev/shm/nccl- (size 0), error: No such file or "
    "directory (2)",
    "Bus error (core dumped)",
])
def test_words_that_do_not_name_shared_memory_running_out_are_no_sign(line):
    assert shared_memory.sign_in(LogExcerpt("ns", "pod", "kserve-container", True, line)) is None


@pytest.mark.parametrize(("line", "kind"), [
    ("gpu-0:1:1 [0] misc/shmutils.cc:72 NCCL WARN Error: failed to extend /dev/shm/nccl-H1dBqY to 9637892 bytes",
     "nccl"),
    ("misc/shmutils.cc:88 NCCL WARN Error: failed to extend /dev/shm/nccl-WU88OE to 9637892 bytes, error: No space "
     "left on device (28)", "nccl"),
    ("ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).",
     "dataloader"),
    ("RuntimeError: unable to allocate shared memory(shm) for file </torch_1140157_3143461634_13983>: Success (0)",
     "torch"),
    ("RuntimeError: Insufficient space in /dev/shm: 240 MiB required, 64 MiB free.", "shm"),
    ("(raylet) store_runner.cc:83: System memory request exceeds memory available in /dev/shm. The request is for "
     "10200547328 bytes, and the amount available is 9663676416 bytes.", "shm"),
])
def test_the_words_of_shared_memory_running_out_are_a_sign_of_their_kind(line, kind):
    sign = shared_memory.sign_in(LogExcerpt("ns", "pod", "kserve-container", True, line))
    assert sign is not None and sign.kind == kind


def test_the_size_suggested_for_dev_shm_stays_within_the_memory_it_counts_against():
    gi = Decimal(2**30)
    assert shared_memory.suggestion(None, "")[0] == "2Gi"                   # no limit: the usual start
    assert shared_memory.suggestion(None, "50Gi")[0] == "2Gi"               # room enough
    assert shared_memory.suggestion(4 * gi, "")[0] == "8Gi"                 # twice what proved too small
    assert shared_memory.suggestion(None, "3Gi")[0] == "1536Mi"             # at most half the limit
    size, sentence = shared_memory.suggestion(4 * gi, "8Gi")                # half the limit is what it has
    assert (size, sentence.key) == ("8Gi", "raise")
