"""The HTTP shell: health, readiness, name validation, and one JSON error shape for everything."""

from __future__ import annotations

import pytest

from service import create_app
from tests.conftest import public_bundle, sandbox_requests


@pytest.fixture
def served(serve):
    r = serve(public_bundle("healthy-sklearn-iris"))
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    yield r, app.test_client()
    app.extensions["kserve_doctor"].close()


def assert_error_shape(body: dict, code: str) -> None:
    assert set(body) >= {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_healthz_and_readyz_answer_when_the_api_server_does(served):
    _, client = served
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["apiServer"].startswith("v1.")


def test_readyz_fails_when_the_api_server_is_gone(served):
    r, client = served
    r.stop()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert_error_shape(resp.get_json(), "API_UNAVAILABLE")
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", [
    "/diagnose/Kserve-Test/sklearn-iris",
    "/diagnose/kserve-test/sklearn_iris",
    "/diagnose/kserve-test/-iris",
    "/diagnose/kserve-test/" + "a" * 64,
    "/diagnose/" + "n" * 64 + "/sklearn-iris",
])
def test_malformed_names_are_refused_without_calling_the_api_server(served, path):
    r, client = served
    sandbox_requests(r, clear=True)
    resp = client.get(path)
    assert resp.status_code == 400
    body = resp.get_json()
    assert_error_shape(body, "INVALID_NAME")
    assert body["error"]["details"]["fields"]
    assert sandbox_requests(r) == []


def test_an_inference_service_that_does_not_exist_is_404_with_its_code(served):
    _, client = served
    resp = client.get("/diagnose/kserve-test/nope")
    assert resp.status_code == 404
    body = resp.get_json()
    assert_error_shape(body, "ISVC_NOT_FOUND")
    assert [f["code"] for f in body["findings"]] == ["ISVC_NOT_FOUND"]


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/no/such/route", 404, "NOT_FOUND"),
    ("POST", "/diagnose/kserve-test/sklearn-iris", 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", "/healthz", 405, "METHOD_NOT_ALLOWED"),
])
def test_unknown_routes_and_methods_answer_json(served, method, path, status, code):
    _, client = served
    resp = client.open(path, method=method)
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    assert_error_shape(resp.get_json(), code)


def test_an_unexpected_exception_is_a_json_500_without_a_traceback(served, monkeypatch):
    _, client = served
    doctor = client.application.extensions["kserve_doctor"]
    monkeypatch.setattr(doctor, "diagnose", lambda *_: 1 / 0)
    resp = client.get("/diagnose/kserve-test/sklearn-iris")
    assert resp.status_code == 500
    body = resp.get_json()
    assert_error_shape(body, "INTERNAL")
    assert "Traceback" not in resp.get_data(as_text=True) and "ZeroDivision" not in resp.get_data(as_text=True)


def test_the_factory_takes_its_settings_from_the_injected_config(served):
    r, _ = served
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path), "KSERVE_DOCTOR_REMEDIATORS": "raise-memory-limit, x",
                      "deadline_seconds": 3})
    settings = app.extensions["kserve_doctor_settings"]
    assert settings.remediators == frozenset({"raise-memory-limit", "x"})
    assert settings.deadline_seconds == 3
    app.extensions["kserve_doctor"].close()
