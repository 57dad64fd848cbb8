"""`python -m service.docs`: write the documents generated from the code (docs/findings.md)."""

from __future__ import annotations

from pathlib import Path

from .diagnosis import catalogue

ROOT = Path(__file__).resolve().parent.parent
GENERATED = {
    ROOT / "docs" / "findings.md": catalogue.markdown,
}


def main() -> None:
    for path, render in GENERATED.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render())
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
