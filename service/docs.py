"""`python -m service.docs`: write the documents generated from the code (docs/findings.md)."""

from __future__ import annotations

from pathlib import Path

from .diagnosis import catalogue

ROOT = Path(__file__).resolve().parent.parent


def _openapi() -> str:
    from . import create_app, openapi
    from .doctor import Doctor

    class _Offline(Doctor):
        """The document needs the routes, not a cluster."""

        def __init__(self) -> None:  # no API client
            from .kube import Kube

            self.kube = Kube.__new__(Kube)

    return openapi.as_yaml(create_app({"doctor": _Offline()}))


GENERATED = {
    ROOT / "docs" / "findings.md": catalogue.markdown,
    ROOT / "openapi.yaml": _openapi,
}


def main() -> None:
    for path, render in GENERATED.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render())
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
