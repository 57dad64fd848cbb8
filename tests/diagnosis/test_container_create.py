"""A volume that cannot be mounted is explained by the event that names what is missing."""

from __future__ import annotations

from service import create_app
from tests.conftest import SCENARIOS, expectation


def test_the_missing_config_map_is_named_even_when_the_generic_mount_timeout_came_last(serve):
    bundle = SCENARIOS / "permissions" / "perm-revisions-forbidden-configmap-volume-missing"
    target = expectation(bundle)["target"]
    r = serve(bundle)
    body = create_app({"KUBECONFIG": str(r.kubeconfig_path)}).test_client().get(
        f"/diagnose/{target['namespace']}/{target['name']}").get_json()
    [finding] = [f for f in body["findings"] if f["code"] == "CONTAINER_CREATE_FAILED"]
    assert 'configmap "claim-router-label-map" not found' in finding["explanation"]
    assert "Create the ConfigMap" in finding["explanation"]
    assert "ContainerCreating" not in finding["explanation"], "the pod's own state is quoted"
