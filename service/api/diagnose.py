"""GET /diagnose/<namespace>/<name>: why an InferenceService is not serving."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from ..doctor import ApiUnavailable, Doctor, NotFoundAnswer, name_problem
from ..errors import InvalidName, Unavailable

bp = Blueprint("diagnose", __name__)


def doctor() -> Doctor:
    return current_app.extensions["kserve_doctor"]


def check_names(namespace: str, name: str | None = None) -> None:
    problems = {k: p for k, v, what in (("namespace", namespace, "the namespace"), ("name", name, "the name"))
                if v is not None and (p := name_problem(v, what))}
    if problems:
        raise InvalidName("; ".join(problems.values()), details={"fields": problems})


@bp.get("/diagnose/<namespace>/<name>")
def diagnose(namespace: str, name: str) -> ResponseReturnValue:
    check_names(namespace, name)
    try:
        answer = doctor().diagnose(namespace, name)
    except ApiUnavailable as e:
        raise Unavailable(f"the Kubernetes API server did not answer: {e.message}") from e
    if isinstance(answer, NotFoundAnswer):
        return jsonify(answer.body), 404
    return jsonify(answer)
