"""The engine: a broken diagnoser is reported, not fatal; diagnosers never change the snapshot."""

from __future__ import annotations

import copy
import dataclasses
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import config

from core.kube import Kube
from service.diagnosis import engine
from service.diagnosis.finding import Finding
from service.doctor import READS, REGISTRY
from service.evidence.gather import Gatherer
from tests.conftest import bundles, expectation, public_bundle


def snapshot_of(serve, bundle):
    r = serve(bundle)
    exp = expectation(bundle)
    with ThreadPoolExecutor(8) as pool:
        gatherer = Gatherer(Kube(config.new_client_from_config(str(r.kubeconfig_path))), pool, READS)
        return gatherer.gather(exp["target"]["namespace"], exp["target"]["name"])


def test_a_diagnoser_that_raises_is_an_error_of_that_diagnoser(serve):
    snap = snapshot_of(serve, public_bundle("oom-exitcode137"))

    def broken(_):
        raise KeyError("status")

    module = types.SimpleNamespace(__name__="service.diagnosers.broken", READS=(), diagnose=broken)
    d = engine.run(snap, dataclasses.replace(REGISTRY, diagnosers=(module, *REGISTRY.diagnosers)))
    assert [e.diagnoser for e in d.errors] == ["broken"]
    assert "CONTAINER_OOM_KILLED" in {f.code for f in d.findings}


def test_findings_are_sorted_by_severity_component_and_code(serve):
    snap = snapshot_of(serve, public_bundle("storage-initializer-gcs-path-missing"))
    d = engine.run(snap, REGISTRY)
    assert list(d.findings) == sorted(d.findings, key=Finding.sort_key)
    assert [f.code for f in d.findings] == ["MODEL_NOT_FOUND_IN_STORAGE", "REVISION_MISSING",
                                            "STORAGE_INITIALIZER_FAILED"]


@pytest.mark.parametrize("bundle", [b for b in bundles() if expectation(b).get("status", 200) == 200][:12],
                         ids=lambda b: b.name)
def test_diagnosers_do_not_change_the_snapshot(serve, bundle):
    snap = snapshot_of(serve, bundle)
    before = copy.deepcopy(snap)
    engine.run(snap, REGISTRY)
    assert snap == before
