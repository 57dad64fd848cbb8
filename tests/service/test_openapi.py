"""The OpenAPI document is generated from the schemas and routes, committed, valid, and served."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate

from service import create_app
from service.docs import _openapi
from tests.conftest import OPENAPI, public_bundle


def test_the_committed_document_is_the_generated_one():
    assert OPENAPI.read_text() == _openapi(), "run: python3 dev.py docs"


def test_the_document_is_valid_openapi_3():
    validate(yaml.safe_load(OPENAPI.read_text()))


def test_the_service_serves_its_document(serve):
    r = serve(public_bundle("healthy-sklearn-iris"))
    app = create_app({"KUBECONFIG": str(r.kubeconfig_path)})
    client = app.test_client()
    assert client.get("/openapi.json").get_json() == yaml.safe_load(OPENAPI.read_text())
    assert yaml.safe_load(client.get("/openapi.yaml").get_data(as_text=True)) == yaml.safe_load(OPENAPI.read_text())
    app.extensions["kserve_doctor"].close()


def test_every_schema_is_a_named_class_with_no_numbered_duplicates():
    names = list(yaml.safe_load(OPENAPI.read_text())["components"]["schemas"])
    assert not [n for n in names if n[-1].isdigit()], names
