"""The catalogue of finding codes, read once from codes.yaml: each code's severity and words, and what the
engine and the trace know about it (the hop it breaks, the codes that suppress it, whether it is a symptom
whose causes are linked to it)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CODES_FILE = Path(__file__).with_name("codes.yaml")


@dataclass(frozen=True)
class Phrase:
    """A named sentence of a code's catalogue entry (`phrases` in codes.yaml), chosen by a diagnoser: the
    value of the placeholder of the same name, e.g. {advice}. Its own args, with the finding's, fill its
    placeholders; an arg that is itself a Phrase (or a list of them) is a sentence of the placeholder it fills."""

    key: str
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **args: Any) -> Phrase:
        return cls(key, args)


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    meaning: str
    explanations: dict[str, str]
    suppressed_by: frozenset[str] = frozenset()
    titles: dict[str, str] = field(default_factory=dict)  # titles of variants that need their own
    hop: str = ""                      # the hop of the request flow it breaks ("" for none)
    causes: str = ""                   # "component": a symptom of the other failures of its component
    cause_sentences: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, dict[str, str]] = field(default_factory=dict)  # placeholder -> key -> sentence

    def cause_sentence(self, causes: Sequence[str]) -> str:
        """The sentence a symptom's explanation gets for the root causes linked to it."""
        if causes:
            return " ".join(self.cause_sentences["found"].format(causes=", ".join(causes)).split())
        return " ".join(self.cause_sentences["none"].split())

    def render(self, variant: str, args: dict[str, Any]) -> tuple[str, str]:
        """(title, explanation) with args filled in; a missing argument is a bug and raises KeyError, and so is
        a phrase the catalogue lacks, unless its placeholder has a `default` one."""
        template = self.explanations.get(variant) or self.explanations["default"]
        title = self.titles.get(variant) or self.title
        filled = _Phrased(self, args)
        return title.format_map(filled), " ".join(template.format_map(filled).split())

    def _phrased(self, name: str, value: Any, args: Mapping[str, Any]) -> Any:
        """A Phrase (or a sequence of them, joined with a space) as the sentence the catalogue has for it."""
        chosen = phrases_in(value)
        if chosen is None:
            return value
        sentences = self.phrases[name]
        return " ".join(" ".join((sentences[p.key] if p.key in sentences else sentences["default"])
                                 .format_map(_Phrased(self, {**args, **p.args})).split()) for p in chosen)


def phrases_in(value: Any) -> list[Phrase] | None:
    """The Phrases an argument holds (one, or a non-empty sequence of them), or None for a plain value."""
    if isinstance(value, Phrase):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(p, Phrase) for p in value):
        return list(value)
    return None


class _Phrased(Mapping[str, Any]):
    """Arguments as a template sees them: a Phrase is rendered when a template asks for its placeholder."""

    def __init__(self, code: Code, args: Mapping[str, Any]) -> None:
        self._code, self._args = code, args

    def __getitem__(self, name: str) -> Any:
        return self._code._phrased(name, self._args[name], self._args)

    def __iter__(self) -> Iterator[str]:
        return iter(self._args)

    def __len__(self) -> int:
        return len(self._args)


@functools.cache
def _raw() -> dict[str, Any]:
    return dict(yaml.safe_load(CODES_FILE.read_text()))


@functools.cache
def catalogue() -> dict[str, Code]:
    raw = {code: v for code, v in _raw().items() if code.isupper()}
    # a code may say what it suppresses (`suppresses`), next to its own words, or be told (`suppressed_by`)
    suppressors: dict[str, set[str]] = {code: set(v.get("suppressed_by") or ()) for code, v in raw.items()}
    for code, v in raw.items():
        for other in v.get("suppresses") or ():
            suppressors.setdefault(other, set()).add(code)
    return {code: Code(code, v["severity"], v["title"], v["meaning"], dict(v["explanation"]),
                       frozenset(suppressors[code]), dict(v.get("titles") or {}), str(v.get("hop") or ""),
                       str(v.get("causes") or ""), dict(v.get("cause_sentences") or {}),
                       {k: dict(m) for k, m in (v.get("phrases") or {}).items()})
            for code, v in raw.items()}


def note(key: str, **args: Any) -> str:
    """One of the sentences the engine adds to a finding (`notes` in codes.yaml), filled in."""
    return " ".join(str(_raw()["notes"][key]).format_map(args).split())


@functools.cache
def codes_breaking(hop: str) -> frozenset[str]:
    """The codes whose findings break the given hop of the request flow."""
    return frozenset(c.code for c in catalogue().values() if c.hop == hop)


def get(code: str) -> Code:
    return catalogue()[code]


def markdown(fixes: Mapping[str, Sequence[str]] | None = None) -> str:
    """docs/findings.md: the catalogue as a document (a test keeps the committed copy in step)."""
    lines = [
        "# Finding codes",
        "",
        "Generated from `service/diagnosis/codes.yaml` by `python3 dev.py docs`; do not edit by hand.",
        "Codes keep their names and meanings once shipped (see `../shared/FINDINGS.md`).",
        "",
        "| code | default severity | what it means | suppressed by | breaks the hop | fixes offered |",
        "|---|---|---|---|---|---|",
    ]
    for c in catalogue().values():
        lines.append(f"| `{c.code}` | {c.severity} | {c.meaning} | "
                     f"{', '.join(f'`{s}`' for s in sorted(c.suppressed_by)) or ''} | {c.hop} | "
                     f"{', '.join(f'`{r}`' for r in (fixes or {}).get(c.code, ()))} |")
    lines += ["", "## Explanations", ""]
    for c in catalogue().values():
        lines += [f"### `{c.code}`", "", f"**{c.title}**", ""]
        for variant, text in c.explanations.items():
            lines += [f"- *{variant}*: {' '.join(text.split())}"]
        for placeholder, sentences in c.phrases.items():
            lines += [f"- *{placeholder} / {key}*: {' '.join(text.split()) or '(nothing)'}"
                      for key, text in sentences.items()]
        lines.append("")
    return "\n".join(lines)
