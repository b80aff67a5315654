"""The three layers import in one direction only (api -> search -> index), by their installed
names (papersift.index, papersift.search, papersift.api), and only api/ speaks HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("index", "search", "api")
BELOW = {"index": set(), "search": {"index"}, "api": {"index", "search"}}
HTTP_PACKAGES = {"fastapi", "uvicorn", "starlette", "jinja2"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name `path` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layers_used(modules: set[str]) -> set[str]:
    """The layers among `modules` (papersift.search.fusion -> search)."""
    return {
        module.split(".")[1]
        for module in modules
        if module.startswith("papersift.") and module.split(".")[1] in LAYERS
    }


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_downwards(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found in {layer}/"
    for path in files:
        modules = imported_modules(path)
        wrong = layers_used(modules) - BELOW[layer] - {layer}
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
        if layer != "api":
            http = {module.split(".")[0] for module in modules} & HTTP_PACKAGES
            assert not http, f"{path.relative_to(ROOT)} imports HTTP packages {http}"


@pytest.mark.parametrize("folder", [*LAYERS, "tests", "bench", "scripts", "papersift"])
def test_nothing_imports_the_folders_by_their_bare_names(folder: str) -> None:
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.is_relative_to(ROOT / "papersift") and path.parent != ROOT / "papersift":
            continue  # the links to the layer folders, checked under their own names
        bare = {module for module in imported_modules(path) if module.split(".")[0] in LAYERS}
        assert not bare, f"{path.relative_to(ROOT)} imports {bare}: use papersift.<layer>"


def test_the_layer_folders_are_the_package_s() -> None:
    for layer in LAYERS:
        link = ROOT / "papersift" / layer
        assert link.is_symlink() and link.resolve() == (ROOT / layer).resolve()


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from papersift.search.searcher import Searcher\nimport papersift.api.cli\n")
    assert layers_used(imported_modules(module)) == {"search", "api"}
