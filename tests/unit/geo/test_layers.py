"""geo takes plain geometry (coordinates, circles, rings): it imports nothing from the models, which import it."""

from __future__ import annotations

import ast
from pathlib import Path

GEO = Path(__file__).resolve().parents[3] / "chalicelib" / "geo"


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement in the file names, lazy and TYPE_CHECKING imports included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import is resolved against chalicelib.geo, the package these files are in.
            package = ["chalicelib", "geo"][: max(0, 3 - node.level)] if node.level else []
            module = ".".join([*package, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_geo_imports_no_models():
    modules = sorted(GEO.glob("*.py"))
    assert modules
    offending = {
        path.name: sorted(name for name in imported_modules(path) if name.split(".")[:2] == ["chalicelib", "models"])
        for path in modules
    }
    assert {name: found for name, found in offending.items() if found} == {}
