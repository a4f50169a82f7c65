"""Every Examples section of the package's docstrings runs, against the installed package."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import glute3d

MODULES = sorted(m.name for m in pkgutil.walk_packages(glute3d.__path__, "glute3d.") if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # examples must not depend on the folder they run from
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test, out=lambda text: print(text, end=""))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see stdout)"
