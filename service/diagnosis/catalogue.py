"""The catalogue of finding codes: severities and words, read once from codes.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CODES_FILE = Path(__file__).with_name("codes.yaml")


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    meaning: str
    explanations: dict[str, str]
    suppressed_by: frozenset[str] = frozenset()
    titles: dict[str, str] = field(default_factory=dict)  # titles of variants that need their own

    def render(self, variant: str, args: dict[str, Any]) -> tuple[str, str]:
        """(title, explanation) with args filled in; a missing argument is a bug and raises KeyError."""
        template = self.explanations.get(variant) or self.explanations["default"]
        title = self.titles.get(variant) or self.title
        return title.format_map(args), " ".join(template.format_map(args).split())


@functools.cache
def catalogue() -> dict[str, Code]:
    raw = yaml.safe_load(CODES_FILE.read_text())
    return {code: Code(code, v["severity"], v["title"], v["meaning"], dict(v["explanation"]),
                       frozenset(v.get("suppressed_by") or ()), dict(v.get("titles") or {}))
            for code, v in raw.items()}


def get(code: str) -> Code:
    return catalogue()[code]


def markdown() -> str:
    """docs/findings.md: the catalogue as a document (a test keeps the committed copy in step)."""
    lines = [
        "# Finding codes",
        "",
        "Generated from `service/diagnosis/codes.yaml` by `python3 dev.py docs`; do not edit by hand.",
        "Codes keep their names and meanings once shipped (see `../shared/FINDINGS.md`).",
        "",
        "| code | default severity | what it means | suppressed by |",
        "|---|---|---|---|",
    ]
    for c in catalogue().values():
        lines.append(f"| `{c.code}` | {c.severity} | {c.meaning} | "
                     f"{', '.join(f'`{s}`' for s in sorted(c.suppressed_by)) or ''} |")
    lines += ["", "## Explanations", ""]
    for c in catalogue().values():
        lines += [f"### `{c.code}`", "", f"**{c.title}**", ""]
        for variant, text in c.explanations.items():
            lines += [f"- *{variant}*: {' '.join(text.split())}"]
        lines.append("")
    return "\n".join(lines)
