"""The docs cover what users can set and run: the README names every setting and command,
docs/cli.md every option, and mkdocs.yml's navigation every page of docs/."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
import yaml

from papersift.api.cli.main import app
from papersift.api.settings import Settings
from tests.helpers.data import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_PAGE = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
COMMANDS = {
    "build", "search", "eval", "serve", "add", "delete", "compact", "sync arxiv",
    "subscribe", "subscriptions list", "subscriptions delete", "digest",
}  # fmt: skip


def commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every command, sub-commands by their full name (`sync arxiv`)."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (typer's own click types)
            found.update(commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def command_options() -> dict[str, list[str]]:
    """Every long option (`--index`, `--no-explain`, ...) of every command, by command."""
    every = commands(typer.main.get_group(app))
    assert set(every) == COMMANDS
    return {
        name: [
            option
            for parameter in command.params
            for option in [*parameter.opts, *parameter.secondary_opts]
            if option.startswith("--") and option != "--help"
        ]
        for name, command in every.items()
    }


def nav_pages(entries: object) -> list[str]:
    """The page files an mkdocs `nav` lists, at any depth."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in nav_pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in nav_pages(value)]
    return []


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README
    assert f"PAPERSIFT_{name.upper()}" in README
    assert Settings.model_fields[name].description


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_readme_heading(name: str) -> None:
    assert f"### `papersift {name}" in README


def test_every_option_of_every_command_is_in_the_cli_page() -> None:
    for name, options in command_options().items():
        assert f"## {name}\n" in CLI_PAGE, name
        for option in options:
            assert f"`{option}" in CLI_PAGE, f"{name} {option}"


def test_the_two_setup_commands_are_the_ones_ci_runs() -> None:
    assert re.search(r"^make run\b", README, re.MULTILINE)
    assert re.search(r"^make test\b", README, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_site_navigation_lists_every_page() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    docs = ROOT / config["docs_dir"]
    pages = sorted(str(path.relative_to(docs)) for path in docs.rglob("*.md"))
    listed = nav_pages(config["nav"])
    assert sorted(listed) == pages
    assert len(set(listed)) == len(listed)
