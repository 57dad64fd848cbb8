"""The offline loader can be trusted: for every bundle it gathers the snapshot the service gathers over HTTP.

Both gathers read the same Sandbox (objects the bundle leaves without a uid or creationTimestamp get
them when loaded, so two sandboxes of one bundle differ there): once through the official client over
HTTPS, once through sandbox.offline in-process. Every field of the snapshot must be equal, requests and
bytes read included, except `read_at` (the clock). The tuples the second wave fills (events, logs,
errors, truncated) are compared as multisets: the Gatherer collects the answers of a wave from
`concurrent.futures.wait`'s done *set*, so their order is not defined over HTTP either.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import config

from core.kube import Kube, KubeError
from core.kube import resources as R
from core.kube.selectors import Fields, Labels
from sandbox import offline
from service.doctor import READS
from service.evidence.gather import Gatherer, IsvcNotFound
from tests.conftest import bundle_id, bundles, expectation, public_bundle

UNORDERED = ("events", "logs", "controller_logs", "errors", "truncated")


def over_http(r, ns, name):
    with ThreadPoolExecutor(8) as pool:
        kube = Kube(config.new_client_from_config(str(r.kubeconfig_path)))
        return Gatherer(kube, pool, READS).gather(ns, name)


def comparable(gather):
    """Every field of the snapshot gathered, or what the Gatherer raised for a missing InferenceService."""
    try:
        snap = gather()
    except IsvcNotFound as e:
        return {"not found": e.message, "requests": e.ledger.requests}
    fields = dataclasses.asdict(snap)
    fields.pop("read_at")
    for k in UNORDERED:
        fields[k] = Counter(repr(x) for x in fields[k])
    return fields


@pytest.mark.parametrize("bundle", bundles(), ids=bundle_id)
def test_the_offline_snapshot_is_the_one_gathered_over_http(serve, bundle):
    t = expectation(bundle)["target"]
    r = serve(bundle)
    http = comparable(lambda: over_http(r, t["namespace"], t["name"]))
    assert comparable(lambda: offline.gather(r.sandbox, t["namespace"], t["name"])) == http
    assert http["requests"] > 0


def test_the_offline_reads_answer_what_the_client_is_answered(serve):
    """Selectors, limit with continue, log options and errors: the same bytes both ways, call by call."""
    r = serve(public_bundle("oom-exitcode137"))
    wire = Kube(config.new_client_from_config(str(r.kubeconfig_path)))
    kube = offline.OfflineKube(r.sandbox)
    ns, pod = "kserve-test", "fraud-gbm-predictor-00001-deployment-7d97bb994c-mvllp"
    calls = [
        lambda k: k.get(R.INFERENCE_SERVICES, ns, "fraud-gbm"),
        lambda k: k.list(R.PODS, ns, labels=Labels.of({"serving.kserve.io/inferenceservice": "fraud-gbm"})),
        lambda k: k.list(R.PODS, ns, labels="component notin (predictor),!nope"),
        lambda k: k.list(R.EVENTS, ns, fields=Fields.of(involvedObject__name=pod), limit=2),
        lambda k: k.list(R.EVENTS, None, limit=1),
        lambda k: k.list(R.NAMESPACES, None),
        lambda k: k.log(ns, pod, "kserve-container", previous=True, tail_lines=2),
        lambda k: k.log(ns, pod, "kserve-container", limit_bytes=30),
    ]
    for call in calls:
        assert call(kube) == call(wire)
    first = kube.list(R.EVENTS, ns, limit=1)
    token = first["metadata"]["continue"]
    assert kube.list(R.EVENTS, ns, limit=1, cont=token) == wire.list(R.EVENTS, ns, limit=1, cont=token)
    for call in (lambda k: k.get(R.PODS, ns, "missing"), lambda k: k.list(R.PODS, ns, fields="spec.nope=1"),
                 lambda k: k.list(R.KNATIVE_INGRESSES, ns, labels="a in (b"),
                 lambda k: k.log(ns, pod, "no-such-container")):
        errors = []
        for k in (kube, wire):
            with pytest.raises(KubeError) as e:
                call(k)
            errors.append((type(e.value), e.value.code, e.value.reason, e.value.message))
        assert errors[0] == errors[1]


def test_the_bundles_faults_apply_offline_as_over_http():
    snap = offline.snapshot(bundles_named("pod-logs-forbidden-crashloop"))
    [error] = snap.errors
    assert (error.resource, error.code, error.reason) == ("pods/log", 403, "Forbidden")
    assert 'User "sandbox-admin" cannot get resource "pods/log"' in error.message


def test_a_fault_slower_than_the_request_timeout_ends_as_a_read_timeout():
    sb = offline.sandbox(public_bundle("oom-exitcode137"))
    sb.faults.add({"match": {"resource": "pods", "subresource": "log"}, "delay_ms": 300})
    kube = offline.OfflineKube(sb, timeout=0.1)
    with pytest.raises(KubeError, match="timed out") as e:
        kube.log("kserve-test", "fraud-gbm-predictor-00001-deployment-7d97bb994c-mvllp", "kserve-container")
    assert e.value.reason == "Timeout"


def test_writes_are_not_answered_offline():
    kube = offline.OfflineKube(offline.sandbox(public_bundle("oom-exitcode137")))
    with pytest.raises(AttributeError, match="get, list and log only"):
        kube.patch(R.INFERENCE_SERVICES, "kserve-test", "fraud-gbm", [], dry_run=True)


def bundles_named(name):
    [bundle] = [b for b in bundles() if b.name == name]
    return bundle
