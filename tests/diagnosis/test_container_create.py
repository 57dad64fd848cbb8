"""A volume that cannot be mounted is explained by the event that names what is missing."""

from __future__ import annotations

from tests.conftest import SCENARIOS, only_finding


def test_the_missing_config_map_is_named_even_when_the_generic_mount_timeout_came_last(diagnose_bundle):
    body = diagnose_bundle(SCENARIOS / "permissions" / "perm-revisions-forbidden-configmap-volume-missing")
    finding = only_finding(body, "CONTAINER_CREATE_FAILED")
    assert 'configmap "claim-router-label-map" not found' in finding["explanation"]
    assert "Create the ConfigMap" in finding["explanation"]
    assert "ContainerCreating" not in finding["explanation"], "the pod's own state is quoted"
