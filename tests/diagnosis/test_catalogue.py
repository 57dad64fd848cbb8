"""The catalogue keeps the contract of ../shared/FINDINGS.md, and docs/findings.md keeps up with it."""

from __future__ import annotations

import ast
import importlib
import re
import string
from pathlib import Path

import pytest

from service.diagnosis import catalogue
from service.diagnosis.catalogue import Code, Phrase
from service.docs import findings_document
from tests.conftest import ROOT

FINDINGS = ROOT.parent / "shared" / "FINDINGS.md"


def contract_codes() -> list[str]:
    if not FINDINGS.exists():
        pytest.skip("../shared/FINDINGS.md is not available")
    return re.findall(r"^\| `([A-Z_]+)` \|", FINDINGS.read_text(), re.M)


# Contract codes of the classes issue 15 (today's KServe: LLM engines, LLMInferenceService, InferenceGraph,
# the platform around them) brings; each leaves this set when its diagnoser lands.
NOT_YET_DIAGNOSED = {
    "GPU_OUT_OF_MEMORY", "LLM_ENGINE_CONFIG_INVALID", "MODEL_ACCESS_DENIED", "LLM_CONFIG_INVALID",
    "LLM_ROUTER_NOT_READY", "DEPENDENCY_NOT_INSTALLED", "INFERENCE_GRAPH_STEP_NOT_READY", "ADMISSION_WEBHOOK_FAILED",
    "SIDECAR_NOT_READY", "SCALE_FROM_ZERO_TIMEOUT", "NODE_PRESSURE_EVICTED", "STORAGE_URI_UNSUPPORTED",
    "AUTOSCALER_CONFLICT",
}


def test_every_contract_code_exists_with_its_exact_name():
    codes = contract_codes()
    assert len(codes) >= 18
    assert set(codes) - set(catalogue.catalogue()) <= NOT_YET_DIAGNOSED
    assert not NOT_YET_DIAGNOSED & set(catalogue.catalogue()), "a code landed: take it out of NOT_YET_DIAGNOSED"
    assert set(codes) >= NOT_YET_DIAGNOSED


def test_every_code_has_a_severity_title_meaning_and_default_explanation():
    for c in catalogue.catalogue().values():
        assert c.severity in ("critical", "error", "warning", "info"), c.code
        assert c.title and c.meaning and "default" in c.explanations, c.code
        assert c.code == c.code.upper() and re.fullmatch(r"[A-Z_]+", c.code)
        assert c.suppressed_by <= set(catalogue.catalogue()), c.code


def test_templates_are_well_formed():
    for c in catalogue.catalogue().values():
        for text in [c.title, *c.explanations.values()]:
            list(string.Formatter().parse(text))  # raises on an unbalanced brace


def fields(text: str) -> list[str]:
    """The placeholders of a template (raises on an unbalanced brace)."""
    return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]


def test_phrases_are_well_formed_and_reachable():
    for c in catalogue.catalogue().values():
        templates = [c.title, *c.titles.values(), *c.explanations.values()]
        for placeholder, sentences in c.phrases.items():
            assert sentences, (c.code, placeholder)
            used_by = [t for t in templates + [x for p, m in c.phrases.items() if p != placeholder for x in m.values()]
                       if placeholder in fields(t)]
            assert used_by, f"{c.code}: phrases of {{{placeholder}}}, which no template of the code has"
            for key, text in sentences.items():
                assert re.fullmatch(r"[a-z][a-z0-9_]*", key), (c.code, placeholder, key)
                assert isinstance(text, str), (c.code, placeholder, key)
                for _, f, spec, conversion in string.Formatter().parse(text):
                    if f is None:
                        continue
                    assert f.isidentifier() and not spec and not conversion, (c.code, placeholder, key, f)
                    assert f != placeholder, f"{c.code}: phrase {placeholder}/{key} fills itself"


def test_phrases_render_nested_and_joined():
    code = Code("X", "info", "t {p}", "m", {"default": "A: {p} {empty}."},
                phrases={"p": {"k": "b {q} {r},", "last": "b {q} {r}"}, "q": {"z": "c{v}"}, "empty": {"none": ""}})
    args = {"v": 1, "p": [Phrase.of("k", q=Phrase("z"), r="x"), Phrase.of("last", q=Phrase.of("z", v=2), r="y")],
            "empty": Phrase("none")}
    assert code.render("default", args) == ("t b c1 x, b c2 y", "A: b c1 x, b c2 y .")
    with pytest.raises(KeyError):
        code.render("default", {**args, "empty": Phrase("typo")})
    code.phrases["empty"]["default"] = "d"
    assert code.render("default", {**args, "empty": Phrase("typo")})[1] == "A: b c1 x, b c2 y d."


DIAGNOSERS = Path(catalogue.__file__).parent.parent / "diagnosers"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _keys(node: ast.expr, fn: ast.AST | None, functions: dict[str, ast.FunctionDef]) -> set[str] | None:
    """The keys a Phrase's key expression can take: a literal, either branch of a conditional, the literals a
    module function returns, or a local name bound to one of those; None when it cannot be told."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        a, b = _keys(node.body, fn, functions), _keys(node.orelse, fn, functions)
        return a | b if a is not None and b is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
        returns = [r.value for r in ast.walk(functions[node.func.id]) if isinstance(r, ast.Return) and r.value]
        found = [_keys(r, functions[node.func.id], functions) for r in returns]
        return set().union(*found) if found and all(k is not None for k in found) else None
    if isinstance(node, ast.Name) and fn is not None:
        bound = [a.value for a in ast.walk(fn) if isinstance(a, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        found = [_keys(v, fn, functions) for v in bound]
        return set().union(*found) if found and all(k is not None for k in found) else None
    return None


def _placeholder(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The placeholder a Phrase fills where the code says so: a dict entry, `args["x"] = ...`, a keyword of
    another Phrase; None when it is returned or bound to a name first."""
    node: ast.AST = call
    while (up := parents.get(node)) is not None:
        if isinstance(up, ast.Dict):
            i = next(i for i, v in enumerate(up.values) if v is node)
            key = up.keys[i]
            return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
        if isinstance(up, ast.keyword):
            return up.arg
        if isinstance(up, ast.Assign):
            t = up.targets[0]
            return t.slice.value if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) else None
        if isinstance(up, ast.stmt):
            return None
        node = up
    return None


def declared_keys(module: str, placeholder: str | None) -> set[str] | None:
    """Phrase keys a diagnoser computes in a way _keys cannot follow, declared next to the code that computes
    them: its module's PHRASE_KEYS (placeholder -> the keys it can take)."""
    declared = getattr(importlib.import_module(f"service.diagnosers.{module}"), "PHRASE_KEYS", {})
    return set(declared[placeholder]) if placeholder in declared else None


def phrase_uses() -> list[tuple[str, set[str] | None, str | None, set[str], str]]:
    """(module, keys or None, placeholder or None, codes the module's findings can have, where) for every
    Phrase a diagnoser makes; a module that makes no finding itself (a helper) lends its phrases to the
    modules importing it."""
    trees = {p.stem: ast.parse(p.read_text()) for p in sorted(DIAGNOSERS.glob("*.py"))}
    codes = {m: {c.args[0].value for c in ast.walk(t) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                 and c.func.attr == "make" and c.args and isinstance(c.args[0], ast.Constant)}
             for m, t in trees.items()}
    importers = {m: {o for o, t in trees.items() for i in ast.walk(t) if isinstance(i, ast.ImportFrom)
                     and i.level == 1 and not i.module and any(a.name == m for a in i.names)} for m in trees}
    out = []
    for m, tree in trees.items():
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        parents = _parents(tree)
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and call.args and (
                    (isinstance(call.func, ast.Name) and call.func.id == "Phrase") or
                    (isinstance(call.func, ast.Attribute) and call.func.attr == "of"
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == "Phrase"))):
                continue
            fn = next((f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and call in set(ast.walk(f))), None)
            keys = _keys(call.args[0], fn, functions)
            placeholder = _placeholder(call, parents)
            if keys is None:
                keys = declared_keys(m, placeholder)
            out.append((m, keys, placeholder, codes[m] or set().union(*(codes[i] for i in importers[m])),
                        f"{m}.py:{call.lineno}"))
    return out


def missing_phrases(uses: list[tuple[str, set[str] | None, str | None, set[str], str]]) -> list[str]:
    """A key the code names (a literal, or what a function of the module returns) must be in the entry of a
    code the module reports, under the placeholder it fills where the code says which; a key it computes
    otherwise needs a `default` phrase for that placeholder, or its keys declared in the module's PHRASE_KEYS."""
    problems = []
    for _, keys, placeholder, codes, where in uses:
        if not codes:
            problems.append(f"{where}: a Phrase, but the module reports no code")
            continue
        entries = [catalogue.get(c).phrases for c in codes]
        if keys is None:
            if placeholder is None or not any("default" in e.get(placeholder, {}) for e in entries):
                problems.append(f"{where}: a Phrase key this test cannot follow: make it a literal, or declare "
                                "its keys in the module's PHRASE_KEYS")
            continue
        for key in sorted(keys):
            if placeholder is not None and not any(key in e.get(placeholder, {}) for e in entries):
                problems.append(f"{where}: {sorted(codes)} have no phrase {placeholder}/{key}")
            elif placeholder is None and not any(key in m for e in entries for m in e.values()):
                problems.append(f"{where}: {sorted(codes)} have no phrase {key}")
    return problems


def test_every_phrase_a_diagnoser_picks_is_in_its_codes_entry():
    uses = phrase_uses()
    assert {m for m, *_ in uses} >= {"image_pull", "container_create", "scheduling", "storage_errors", "runtime"}
    assert missing_phrases(uses) == []


def test_the_phrase_check_follows_keys_and_bites():
    uses = phrase_uses()
    keys = lambda module, placeholder: set().union(*(k or set() for m, k, p, _, _ in uses  # noqa: E731
                                                     if m == module and p == placeholder))
    assert keys("container_create", None) >= {"multi_attach", "secret", "default"}  # returned by advice()
    assert keys("image_pull", "advice") >= {"not_found", "unauthorized", "invalid", "default"}  # classify()'s
    assert keys("image_pull", None) >= {"injected", "x509", "network"}  # bound to a name first: any placeholder
    assert keys("runtime", "refusals") == {"refusal", "last_refusal", "none"}
    assert keys("storage_errors", None) >= {"tls", "missing", "generic"}  # lent to storage_initializer
    codes = {"CONTAINER_CREATE_FAILED"}
    assert missing_phrases([("m", {"secret", "typo"}, "advice", codes, "m.py:1")]) == [
        "m.py:1: ['CONTAINER_CREATE_FAILED'] have no phrase advice/typo"]
    assert missing_phrases([("m", {"secret"}, "title", codes, "m.py:2")]) == [
        "m.py:2: ['CONTAINER_CREATE_FAILED'] have no phrase title/secret"]
    assert missing_phrases([("m", None, "advice", {"QUOTA_EXCEEDED"}, "m.py:3")]) != []  # no default to fall to
    assert missing_phrases([("m", None, "advice", codes, "m.py:4")]) == []


def test_committed_catalogue_document_matches_the_code():
    assert (ROOT / "docs" / "findings.md").read_text() == findings_document(), "run: python3 dev.py docs"


def test_the_document_lists_every_phrase():
    doc = catalogue.markdown()
    assert "- *advice / gpu*: No node has a free {resource}" in doc
    assert "- *controller_says / nothing*: (nothing)" in doc
    for c in catalogue.catalogue().values():
        for placeholder, sentences in c.phrases.items():
            assert all(f"- *{placeholder} / {key}*: " in doc for key in sentences), (c.code, placeholder)
