"""stale_status: the InferenceService's status describes an older spec (observedGeneration behind generation),
so what it says, Ready or not, cannot be trusted about the spec as it is now."""

from __future__ import annotations

import pytest

from service.diagnosers import stale_status
from tests.diagnosers.conftest import HEALTHY, bundles_of, name, named, one, snapshot

STALE = bundles_of("stale")
# bundle: the Ready status the stale status still shows
FROZEN = {
    "kserve-controller-oomkilled-ready-true-new-model-not-rolled-out": "True",
    "kserve-leader-election-lost-ready-false-frozen-after-recovery": "False",
}


@pytest.mark.parametrize("b", STALE, ids=name)
def test_a_status_written_for_an_older_generation_says_so_whatever_it_says(b):
    named(b, FROZEN)
    f = one(stale_status.diagnose(snapshot(b)))
    assert (f.code, f.component, f.severity) == ("STATUS_STALE", "service", "warning")
    assert (str(f.facts["generation"]), str(f.facts["observed"])) == ("2", "1")
    assert [e.field for e in f.evidence] == ["metadata.generation", "status.observedGeneration",
                                             "status.conditions[type=Ready]"]
    assert f.evidence[2].value["status"] == FROZEN[b.name]


@pytest.mark.parametrize("b", HEALTHY, ids=name)
def test_a_status_that_caught_up_is_not_stale(b):
    assert stale_status.diagnose(snapshot(b)) == []
