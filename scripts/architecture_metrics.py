"""Count what the architecture document promises about the core's shape.

Prints, for ``inst/python/niimasker_core``: the entries at its top level, the
layers of the import contract (pyproject.toml), the longest functions, the
modules over 400 lines, and the modules that read the whole settings object
(a parameter named ``settings`` or a use of the ``Settings`` type). Run it
before and after a structural change and quote both in its closing note.

Usage: python scripts/architecture_metrics.py [--json]
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "inst" / "python" / "niimasker_core"


def top_level_entries() -> list[str]:
    return sorted(
        p.name
        for p in CORE.iterdir()
        if p.name != "__pycache__"
        and (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    )


def contract_layers() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    return max(len(c.get("layers", [])) for c in contracts)


def modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)


def functions(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            # the docstring is documentation, not logic: count from the code
            start = (
                body[1].lineno
                if _has_docstring(node) and len(body) > 1
                else node.lineno
            )
            out.append((node.end_lineno - start + 1, f"{_name(path)}:{node.name}"))
    return out


def _has_docstring(node: ast.AST) -> bool:
    body = node.body
    return (
        bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _name(path: Path) -> str:
    return str(path.relative_to(CORE.parent)).removesuffix(".py").replace("/", ".")


def reads_settings(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg == "settings":
            return True
        if isinstance(node, ast.Name) and node.id == "Settings":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Settings":
            return True
    return False


def main() -> int:
    lengths = sorted((n for p in modules() for n in functions(p)), reverse=True)
    long_modules = sorted(
        (len(p.read_text().splitlines()), _name(p))
        for p in modules()
        if len(p.read_text().splitlines()) > 400
    )
    metrics = {
        "top_level_entries": top_level_entries(),
        "contract_layers": contract_layers(),
        "longest_functions": [f"{name} ({n} lines)" for n, name in lengths[:5]],
        "functions_over_80_lines": [f"{name} ({n})" for n, name in lengths if n > 80],
        "modules_over_400_lines": [f"{name} ({n})" for n, name in long_modules],
        "modules_reading_settings": [_name(p) for p in modules() if reads_settings(p)],
        "modules": len(modules()),
    }
    if "--json" in sys.argv:
        json.dump(metrics, sys.stdout, indent=1)
        print()
        return 0
    for key, value in metrics.items():
        if isinstance(value, list):
            print(f"{key}: {len(value)}")
            for item in value:
                print(f"  {item}")
        else:
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
