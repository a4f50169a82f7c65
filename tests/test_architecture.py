"""The house rules: layers that follow the pipeline, no cycles, small modules and functions."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import glute3d

PACKAGE = Path(glute3d.__file__).resolve().parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
#: A function may be longer when the line above its ``def`` says why, starting with this.
LONG_MARK = "# long:"


def test_import_layers_and_no_cycles():
    """import-linter's contracts (pyproject.toml): imports point down the pipeline, lazy ones included."""
    pytest.importorskip("importlinter")
    root = Path(__file__).resolve().parents[1]
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.is_file():
        pytest.skip("the lint-imports command is not installed next to this Python")
    proc = subprocess.run([str(exe), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_the_layer_contract_catches_an_upward_import(tmp_path):
    """The contract really bites: a model module that imports the renderer breaks it."""
    pytest.importorskip("importlinter")
    import grimp

    graph = grimp.build_graph("glute3d")
    graph.add_import(
        importer="glute3d.model.model",
        imported="glute3d.render.core",
        line_number=1,
        line_contents="import glute3d.render.core",
    )
    from importlinter.contracts.layers import LayersContract
    from importlinter.domain.helpers import module_expressions_to_modules  # noqa: F401 - API present

    contract = LayersContract(
        name="test",
        session_options={"root_packages": ["glute3d"]},
        contract_options={
            "containers": ["glute3d"],
            "layers": ["cli", "render", "scene", "teaching", "model", "anatomy", "io", "geometry"],
        },
    )
    assert not contract.check(graph, verbose=False).kept


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small(path):
    assert _lines(path) <= MAX_MODULE_LINES, f"{path.name} has {_lines(path)} lines: split it by job"


def _long_functions(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - node.lineno + 1
            above = lines[start - 2].strip() if start >= 2 else ""
            if length > MAX_FUNCTION_LINES and not above.startswith(LONG_MARK):
                out.append(f"{node.name} ({length} lines, line {node.lineno})")
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short_or_say_why(path):
    long = _long_functions(path)
    assert not long, (
        f"{path.name}: {', '.join(long)}; split them, or state the reason on the line above (`{LONG_MARK} ...`)"
    )


def test_public_modules_declare_all():
    missing = []
    for path in SOURCES:
        rel = path.relative_to(PACKAGE)
        if path.name.startswith("_") and path.name != "__init__.py":
            continue
        if path.name in ("__init__.py", "__main__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        names |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
        if "__all__" not in names:
            missing.append(str(rel))
    assert not missing, f"modules without __all__: {', '.join(missing)}"


def test_one_version():
    from importlib.metadata import version

    spec = importlib.util.find_spec("glute3d")
    assert spec is not None
    assert version("glute3d") == glute3d.__version__
    assert (PACKAGE / "py.typed").is_file()
