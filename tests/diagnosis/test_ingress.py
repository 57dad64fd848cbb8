"""What the networking controller says, whatever the release's log format."""

from __future__ import annotations

import json

import pytest

from service.diagnosers.ingress import _message_of


@pytest.mark.parametrize(("line", "said"), [
    (json.dumps({"level": "error", "message": "failed to probe", "error": "want 200, got 403"}),
     "failed to probe want 200, got 403"),
    (json.dumps({"level": "error", "msg": "Probing of http://x failed", "error": "got 403"}),
     "Probing of http://x failed got 403"),
    ("E1128 plain text line", "E1128 plain text line"),
])
def test_the_message_of_a_controller_log_line_is_read_from_either_key(line, said):
    assert _message_of(line) == said
