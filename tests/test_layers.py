"""The three layers import in one direction only: api -> search -> index."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"index": {"search", "api"}, "search": {"api"}, "api": set()}
HTTP_PACKAGES = {"fastapi", "uvicorn", "starlette", "jinja2"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found in {layer}/"
    for path in files:
        imported = imported_packages(path)
        wrong = imported & FORBIDDEN[layer]
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
        if layer != "api":
            http = imported & HTTP_PACKAGES
            assert not http, f"{path.relative_to(ROOT)} imports HTTP packages {http}"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from search.searcher import Searcher\nimport api.cli\n")
    assert imported_packages(module) >= {"search", "api"}
