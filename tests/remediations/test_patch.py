"""PatchBuilder: tests before replaces, whole missing parents, escaped keys."""

from __future__ import annotations

import jsonpatch

from remediations.patch import PatchBuilder, pointer


def test_a_replace_is_preceded_by_tests_of_the_version_and_the_old_value():
    obj = {"metadata": {"resourceVersion": "7"}, "spec": {"r": {"limits": {"memory": "1Gi"}}}}
    b = PatchBuilder(obj).set(["spec", "r", "limits", "memory"], "2Gi")
    assert b.ops == [{"op": "test", "path": "/metadata/resourceVersion", "value": "7"},
                     {"op": "test", "path": "/spec/r/limits/memory", "value": "1Gi"},
                     {"op": "replace", "path": "/spec/r/limits/memory", "value": "2Gi"}]
    assert jsonpatch.apply_patch(obj, b.ops) == b.doc


def test_a_missing_parent_is_added_whole():
    obj = {"metadata": {"resourceVersion": "7"}, "spec": {"model": {"resources": {"requests": {"cpu": "1"}}}}}
    b = PatchBuilder(obj).set(["spec", "model", "resources", "limits", "memory"], "1Gi")
    assert b.ops[1:] == [{"op": "add", "path": "/spec/model/resources/limits", "value": {"memory": "1Gi"}}]
    b2 = PatchBuilder({"spec": {"model": {}}}).set(["spec", "model", "resources", "limits", "memory"], "1Gi")
    assert b2.ops == [{"op": "add", "path": "/spec/model/resources", "value": {"limits": {"memory": "1Gi"}}}]


def test_keys_with_slashes_and_tildes_are_escaped():
    assert pointer("limits", "nvidia.com/gpu") == "/limits/nvidia.com~1gpu"
    assert pointer("a~b") == "/a~0b"
    obj = {"spec": {"annotations": {}}}
    b = PatchBuilder(obj).set(["spec", "annotations", "kubectl.kubernetes.io/restartedAt"], "t")
    assert b.ops == [{"op": "add", "path": "/spec/annotations/kubectl.kubernetes.io~1restartedAt", "value": "t"}]
    assert jsonpatch.apply_patch(obj, b.ops) == {"spec": {"annotations": {"kubectl.kubernetes.io/restartedAt": "t"}}}


def test_setting_the_value_already_there_changes_nothing():
    b = PatchBuilder({"metadata": {"resourceVersion": "1"}, "data": {"k": "v"}}).set(["data", "k"], "v")
    assert not b.changed
