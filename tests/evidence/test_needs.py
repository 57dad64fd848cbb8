"""Wave two reads what the diagnosers declare, on the signs they declare, and nothing else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from kubernetes import config

from core.kube import Kube
from service.diagnosers import runtime
from service.doctor import READS
from service.evidence.gather import Gatherer
from service.evidence.needs import Need, Reads, wanted
from service.evidence.snapshot import Snapshot
from tests.conftest import expectation, public_bundle, sandbox_requests


def gathered_reads(serve, bundle, reads):
    """The (verb, resource) pairs the sandbox served for one gather with these declarations."""
    r = serve(bundle)
    target = expectation(bundle)["target"]
    with ThreadPoolExecutor(8) as pool:
        gatherer = Gatherer(Kube(config.new_client_from_config(str(r.kubeconfig_path))), pool, reads)
        sandbox_requests(r, clear=True)
        gatherer.gather(target["namespace"], target["name"])
    return {(q["verb"], q["resource"]) for q in sandbox_requests(r) if q["user"] == "sandbox-admin"}


def test_the_runtimes_are_read_because_the_runtime_diagnoser_asks_for_them(serve):
    bundle = public_bundle("no-supporting-runtime")
    assert ("list", "servingruntimes") in gathered_reads(serve, bundle, READS)
    without = tuple(r for r in READS if Need.SERVING_RUNTIMES not in r.needs)
    assert ("list", "servingruntimes") not in gathered_reads(serve, bundle, without)


def test_a_healthy_service_shows_no_sign_that_calls_for_runtimes_quotas_or_the_ingress_controller(serve):
    served = gathered_reads(serve, public_bundle("healthy-sklearn-iris"), READS)
    assert not served & {("list", "servingruntimes"), ("list", "resourcequotas"), ("list", "limitranges"),
                         ("list", "authorizationpolicies"), ("list", "ingresses")}


def test_needs_are_the_union_of_the_declarations_whose_sign_shows():
    snap = Snapshot(namespace="ns", name="x", target={}, read_at="")
    yes = Reads((Need.POD_EVENTS, Need.FAILING_POD_LOGS))
    no = Reads((Need.RESOURCE_QUOTAS,), when=lambda s: False)
    assert wanted([yes, no, Reads((Need.POD_EVENTS,))], snap) == {Need.POD_EVENTS, Need.FAILING_POD_LOGS}


def test_the_runtime_diagnoser_declares_its_sign_next_to_itself():
    assert [r.needs for r in runtime.READS] == [(Need.SERVING_RUNTIMES,)]
    snap = Snapshot(namespace="ns", name="x", target={"status": {"modelStatus": {"lastFailureInfo": {
        "reason": "NoSupportingRuntime", "message": "Specified runtime does not support specified framework"}}}},
        read_at="")
    assert wanted(runtime.READS, snap) == {Need.SERVING_RUNTIMES}
