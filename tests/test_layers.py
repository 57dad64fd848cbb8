"""The layers of pyproject.toml hold, and lint-imports would catch an import that points up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in ("core", "service", "remediations"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_its_layers():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_object_reader_that_imports_the_http_layer_breaks_the_build(tmp_path):
    root = copy_of_the_code(tmp_path)
    (root / "core" / "objects" / "upward.py").write_text("from service.api import schemas\n")
    result = lint(root)
    assert result.returncode != 0
    assert "core.objects is not allowed to import service.api" in result.stdout


def test_a_diagnoser_that_reaches_for_a_remediator_breaks_the_build(tmp_path):
    root = copy_of_the_code(tmp_path)
    (root / "service" / "diagnosers" / "sideways.py").write_text("from remediations import REMEDIATORS\n")
    result = lint(root)
    assert result.returncode != 0
    assert "service.diagnosers is not allowed to import remediations" in result.stdout
