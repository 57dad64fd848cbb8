"""`python -m service.docs`: write what is generated from the code: docs/findings.md, openapi.yaml, and the
Helm chart's remediator files and the README's remediator table (service.chart_values)."""

from __future__ import annotations

from pathlib import Path

from core.kube import Kube
from remediations import REMEDIATORS

from . import chart_values
from .api import openapi
from .app import create_app
from .diagnosis import catalogue
from .doctor import Doctor

ROOT = Path(__file__).resolve().parent.parent


def findings_document() -> str:
    """docs/findings.md: the catalogue, with the fixes each code offers as the remediators declare them."""
    fixes: dict[str, list[str]] = {}
    for r in REMEDIATORS.values():
        for code in r.fixes:
            fixes.setdefault(code, []).append(r.id)
    return catalogue.markdown(fixes)


def _openapi() -> str:
    class _Offline(Doctor):
        """The document needs the routes, not a cluster."""

        def __init__(self) -> None:  # no API client
            self.kube = Kube.__new__(Kube)

    return openapi.as_yaml(create_app({"doctor": _Offline()}))


GENERATED = {
    ROOT / "docs" / "findings.md": findings_document,
    ROOT / "openapi.yaml": _openapi,
    # the Helm chart's remediator data, values block and schema part, and the README's table of them
    **chart_values.generated(),
}


def main() -> None:
    for path, render in GENERATED.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render())
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
