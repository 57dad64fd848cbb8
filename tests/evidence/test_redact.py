"""Secrets never reach evidence: objects and free text are scrubbed when they are gathered."""

from __future__ import annotations

import pytest

from service.evidence import redact


@pytest.mark.parametrize(("text", "secret"), [
    ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlcw", "eyJhbGciOiJSUzI1NiJ9"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
    ("Copying s3://minio:minio123@minio.local:9000/models to local", "minio123"),
    ("GET https://bucket.s3.amazonaws.com/model.pt?X-Amz-Signature=abcdef123456&x=1", "abcdef123456"),
    ('{"password": "hunter2", "user": "bob"}', "hunter2"),
    ("client_secret=s3cr3t-value", "s3cr3t-value"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnop"),
    ("TOKEN=abc123def", "abc123def"),
    ("db.mysql_password=\"pa ss\" next", "pa ss"),
    ("connecting to postgres://admin:s3cr3t@db:5432/models", "s3cr3t"),
    ("PASSWORD: Hunter2", "Hunter2"),
])
def test_credentials_in_text_are_redacted(text, secret):
    for _ in range(2):  # the second time too: only clean strings are remembered
        out = redact.text(text)
        assert secret not in out and redact.REDACTED in out


@pytest.mark.parametrize("text", [
    "RuntimeError: Failed to fetch model. The path or model gs://kfserving-examples/models/x does not exist.",
    "NoCredentialProviders: no valid providers in chain",
    "failed to resolve image to digest: unsupported status code 401; body: Not Authorized",
    "Readiness probe failed: HTTP probe failed with statuscode: 503",
])
def test_diagnostic_text_is_kept(text):
    assert redact.text(text) == text


def test_env_values_are_dropped_but_locations_kept_without_credentials():
    pod = {"spec": {"containers": [{"name": "c", "env": [
        {"name": "API_KEY", "value": "abc123"},
        {"name": "DEBUG", "value": "true"},
        {"name": "STORAGE_URI", "value": "s3://user:pass@host/bucket"},
        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}},
    ]}]}}
    env = redact.obj(pod)["spec"]["containers"][0]["env"]
    assert env[0]["value"] == redact.REDACTED and env[1]["value"] == redact.REDACTED
    assert env[2]["value"] == "s3://<redacted>@host/bucket"
    assert env[3] == {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}}
    assert pod["spec"]["containers"][0]["env"][0]["value"] == "abc123", "the input must not be changed"


def test_last_applied_configuration_annotations_are_dropped():
    obj = {"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"env": "x"}'}}}
    assert redact.obj(obj)["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == \
        redact.REDACTED


def test_managed_fields_are_left_out_and_the_rest_of_the_metadata_kept():
    obj = {"metadata": {"name": "p", "labels": {"app": "x"},
                        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]}}
    assert redact.obj(obj) == {"metadata": {"name": "p", "labels": {"app": "x"}}}
