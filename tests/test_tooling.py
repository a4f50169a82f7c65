"""The tools a contributor expects pass on the tree: ruff (lint and format) and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREE = ["src", "tests", "bench"]


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    if not exe.is_file():
        pytest.skip(f"{name} is not installed next to this Python (pip install '.[test]')")
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not run from a source checkout")
    return str(exe)


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint():
    proc = _run(_tool("ruff"), "check", *TREE)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-1000:]


def test_ruff_format():
    proc = _run(_tool("ruff"), "format", "--check", *TREE)
    assert proc.returncode == 0, f"run `ruff format {' '.join(TREE)}`:\n" + proc.stdout[-3000:]


def test_mypy():
    proc = _run(_tool("mypy"), "src/glute3d")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-1000:]
