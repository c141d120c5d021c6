"""The house rules that the import contract does not check (docs/architecture.md).

* Imports happen at a module's top, except the documented lazy ones: heavy
  or optional third-party packages imported where they are used, so that the
  command starts fast (nilearn, scikit-learn, scipy, joblib, dask, pandas),
  and the drop-in maskers (scikit-learn) on first use.
* Only the batch, the faces and the parameters themselves read the whole
  ``Settings``: every room below the batch takes its own small options.
* The batch and the engine never ask a ROI source its kind.
* Adding a ROI kind is one module and one registry line.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import niimasker_core
from niimasker_core.rois import registry

CORE = Path(niimasker_core.__file__).parent
MODULES = sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)

#: Packages a function may import (lazily, for start-up time or as optional).
LAZY = ("nilearn", "sklearn", "scipy", "joblib", "dask", "distributed", "pandas")


def _name(path: Path) -> str:
    return str(path.relative_to(CORE.parent)).removesuffix(".py").replace("/", ".")


def _function_imports(tree: ast.AST):
    """Yield each import statement inside a function body (not under TYPE_CHECKING)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: only the maskers, on first use (scikit-learn)
        return [f"{'.' * node.level}{node.module or ''}:{a.name}" for a in node.names]
    return [node.module]


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_import_only_the_documented_lazy_packages(path):
    tree = ast.parse(path.read_text())
    for node in _function_imports(tree):
        for name in _imported(node):
            lazy = name.split(".")[0] in LAZY or name == ".:maskers"
            assert lazy, f"{_name(path)}:{node.lineno} imports {name} inside a function"


def _reads_settings(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "Settings":
            return True
        if isinstance(node, ast.arg) and node.arg == "settings":
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(
            "settings"
        ):
            return True
    return False


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_nothing_below_the_batch_reads_the_settings(path):
    room = _name(path).split(".")[1]
    if room in ("batch", "faces", "params", "__init__"):
        return
    assert not _reads_settings(ast.parse(path.read_text())), _name(path)


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if _name(p).split(".")[1] in ("batch", "engine")],
    ids=_name,
)
def test_the_batch_and_the_engine_never_ask_a_source_its_kind(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "kind":
            value = ast.unparse(node.value)
            assert value.endswith("dtype"), (
                f"{_name(path)}:{node.lineno} reads {value}.kind"
            )
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "getattr":
            assert "kind" not in ast.unparse(node), f"{_name(path)}:{node.lineno}"


def test_every_kind_is_one_module_with_a_load_function():

    for kind in registry.KINDS:
        module = importlib.import_module(kind.module)
        assert callable(module.load), kind.name
        assert module.__name__.startswith("niimasker_core.rois."), kind.name


def test_the_command_starts_without_the_heavy_packages():
    """Start-up is most of a small run: tables, solvers and nilearn load on use."""
    import subprocess
    import sys

    heavy = (
        "pandas nilearn sklearn matplotlib dask "
        "scipy.sparse scipy.linalg scipy.ndimage scipy.signal scipy.interpolate"
    )
    code = (
        "import sys, niimasker_core.faces.cli; "
        f"print([m for m in {heavy.split()!r} if m in sys.modules])"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
