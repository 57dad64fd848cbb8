"""kubectl against the sandbox, the way an engineer walks KServe's debugging guide."""

from __future__ import annotations

import json

import pytest

from tests.conftest import bundle_id, bundles, expectation, public_bundle

OOM = "oom-exitcode137"
POD = "fraud-gbm-predictor-00001-deployment-7d97bb994c-mvllp"


@pytest.fixture
def oom(serve):
    return serve(public_bundle(OOM))


def test_short_names_of_kserve_and_knative_kinds_work(oom, kubectl):
    kc = oom.kubeconfig_path
    isvc = kubectl(kc, "get", "isvc", "-n", "kserve-test", check=True)
    assert "fraud-gbm" in isvc.stdout and "False" in isvc.stdout
    assert "RevisionMissing" in kubectl(kc, "get", "ksvc", "-n", "kserve-test", check=True).stdout
    revs = kubectl(kc, "get", "revisions", "-A", check=True).stdout
    assert "fraud-gbm-predictor-00001" in revs and "ExitCode137" in revs
    resources = kubectl(kc, "api-resources", check=True).stdout
    assert any(line.split()[:2] == ["inferenceservices", "isvc"] for line in resources.splitlines())


def test_label_selectors_reach_the_pods_of_one_inference_service(oom, kubectl):
    kc = oom.kubeconfig_path
    by_label = kubectl(kc, "get", "pods", "-n", "kserve-test", "-l", "serving.kserve.io/inferenceservice=fraud-gbm",
                       "-o", "name", check=True).stdout.split()
    assert by_label == [f"pod/{POD}"]
    set_based = kubectl(kc, "get", "pods", "-A", "-l", "component in (predictor,transformer),!nonexistent",
                        "-o", "name", check=True).stdout.split()
    assert set_based == [f"pod/{POD}"]
    none = kubectl(kc, "get", "pods", "-A", "-l", "component notin (predictor)", "-o", "name", check=True)
    assert none.stdout.strip() == ""


def test_field_selectors_on_pods_and_events(oom, kubectl):
    kc = oom.kubeconfig_path
    running = kubectl(kc, "get", "pods", "-A", "--field-selector", "status.phase=Running", "-o", "name", check=True)
    assert running.stdout.split() == [f"pod/{POD}"]
    pending = kubectl(kc, "get", "pods", "-A", "--field-selector", "status.phase=Pending", "-o", "name", check=True)
    assert pending.stdout.strip() == ""
    events = kubectl(kc, "get", "events", "-n", "kserve-test", "--field-selector",
                     f"involvedObject.name={POD},reason=BackOff", "-o", "json", check=True)
    items = json.loads(events.stdout)["items"]
    assert [e["reason"] for e in items] == ["BackOff"]
    bad = kubectl(kc, "get", "pods", "-A", "--field-selector", "spec.bogus=1")
    assert bad.returncode != 0 and "field label not supported: spec.bogus" in bad.stderr


def test_logs_of_the_previous_instance_and_the_container_rule(oom, kubectl):
    kc = oom.kubeconfig_path
    prev = kubectl(kc, "logs", "-n", "kserve-test", POD, "-c", "kserve-container", "--previous", check=True)
    assert "10:19:41" in prev.stdout
    tail = kubectl(kc, "logs", "-n", "kserve-test", POD, "-c", "kserve-container", "--tail=1", check=True)
    assert len(tail.stdout.strip().splitlines()) == 1 and "Model downloaded" in tail.stdout
    missing = kubectl(kc, "logs", "-n", "kserve-test", POD, "-c", "queue-proxy", "--previous")
    assert missing.returncode != 0
    assert 'previous terminated container "queue-proxy"' in missing.stderr


def test_describe_shows_the_pods_events(oom, kubectl):
    out = kubectl(oom.kubeconfig_path, "describe", "pod", "-n", "kserve-test", POD, check=True).stdout
    assert "OOMKilled" in out and "Back-off restarting failed container" in out


def test_annotate_with_server_dry_run_changes_nothing(oom, kubectl):
    kc = oom.kubeconfig_path
    before = json.loads(kubectl(kc, "get", "isvc", "fraud-gbm", "-n", "kserve-test", "-o", "json", check=True).stdout)
    dry = kubectl(kc, "annotate", "isvc", "fraud-gbm", "-n", "kserve-test", "doctor/checked=yes", "--dry-run=server",
                  "-o", "json", check=True)
    assert json.loads(dry.stdout)["metadata"]["annotations"]["doctor/checked"] == "yes"
    after = json.loads(kubectl(kc, "get", "isvc", "fraud-gbm", "-n", "kserve-test", "-o", "json", check=True).stdout)
    assert after == before


def test_json_patch_applies_and_a_failed_test_op_is_refused_with_nothing_changed(oom, kubectl):
    kc = oom.kubeconfig_path
    before = json.loads(kubectl(kc, "get", "isvc", "fraud-gbm", "-n", "kserve-test", "-o", "json", check=True).stdout)
    rv = before["metadata"]["resourceVersion"]
    patch = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
             {"op": "replace", "path": "/spec/predictor/model/resources/limits/memory", "value": "512Mi"}]
    kubectl(kc, "patch", "isvc", "fraud-gbm", "-n", "kserve-test", "--type=json", "-p", json.dumps(patch), check=True)
    after = json.loads(kubectl(kc, "get", "isvc", "fraud-gbm", "-n", "kserve-test", "-o", "json", check=True).stdout)
    assert after["spec"]["predictor"]["model"]["resources"]["limits"]["memory"] == "512Mi"
    assert int(after["metadata"]["resourceVersion"]) > int(rv)
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1

    stale = kubectl(kc, "patch", "isvc", "fraud-gbm", "-n", "kserve-test", "--type=json", "-p", json.dumps(patch))
    assert stale.returncode != 0
    assert "testing value /metadata/resourceVersion failed" in stale.stderr
    final = json.loads(kubectl(kc, "get", "isvc", "fraud-gbm", "-n", "kserve-test", "-o", "json", check=True).stdout)
    assert final == after


def test_errors_read_as_a_real_servers(oom, kubectl):
    out = kubectl(oom.kubeconfig_path, "get", "isvc", "nope", "-n", "kserve-test")
    assert out.stderr.strip() == 'Error from server (NotFound): inferenceservices.serving.kserve.io "nope" not found'


@pytest.mark.parametrize("bundle", [b for b in bundles() if "public/" in bundle_id(b)], ids=bundle_id)
def test_kubectl_lists_the_target_inference_service_of_every_public_bundle(serve, kubectl, bundle):
    target = expectation(bundle)["target"]
    r = serve(bundle)
    names = kubectl(r.kubeconfig_path, "get", "isvc", "-n", target["namespace"], "-o", "name", check=True).stdout
    present = f"inferenceservice.serving.kserve.io/{target['name']}" in names.split()
    assert present == (expectation(bundle).get("status", 200) != 404)


def test_kubectl_tables_read_as_a_real_servers(serve, kubectl):
    from tests.conftest import SCENARIOS

    r = serve(SCENARIOS / "healthy" / "noisy-history-old-revision-evicted-terminating")
    kc = r.kubeconfig_path
    pods = {line.split()[0]: line.split()[2] for line in
            kubectl(kc, "get", "pods", "-n", "serving-demand-forecast", check=True).stdout.splitlines()[1:]}
    assert sorted(pods.values()) == ["Error", "Running", "Terminating"]
    sorted_events = kubectl(kc, "get", "events", "-A", "--sort-by=.lastTimestamp", check=True).stdout.splitlines()
    assert len(sorted_events) > 5 and sorted_events[0].split()[:2] == ["NAMESPACE", "LAST"]
    isvc = kubectl(kc, "get", "isvc", "-A", check=True).stdout.splitlines()
    assert isvc[0].split() == ["NAMESPACE", "NAME", "URL", "READY", "PREV", "LATEST", "PREVROLLEDOUTREVISION",
                               "LATESTREADYREVISION", "AGE"]
