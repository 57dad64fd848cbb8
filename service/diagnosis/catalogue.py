"""The catalogue of finding codes: severities and words, read once from codes.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
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

    def render(self, variant: str, args: dict[str, Any]) -> tuple[str, str]:
        """(title, explanation) with args filled in; a missing argument is a bug and raises KeyError."""
        template = self.explanations.get(variant) or self.explanations["default"]
        return self.title.format_map(args), " ".join(template.format_map(args).split())


@functools.cache
def catalogue() -> dict[str, Code]:
    raw = yaml.safe_load(CODES_FILE.read_text())
    return {code: Code(code, v["severity"], v["title"], v["meaning"], dict(v["explanation"]),
                       frozenset(v.get("suppressed_by") or ()))
            for code, v in raw.items()}


def get(code: str) -> Code:
    return catalogue()[code]
