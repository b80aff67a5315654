"""The README documents every setting and every CLI command and option."""

from __future__ import annotations

import re

import pytest
import typer.main

from papersift.api.cli.main import app
from papersift.api.settings import Settings
from tests.helpers.data import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README
    assert f"PAPERSIFT_{name.upper()}" in README
    assert Settings.model_fields[name].description


def test_every_command_and_option_is_documented() -> None:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert set(commands) == {"build", "search", "eval", "serve", "add", "delete", "compact"}
    for name, command in commands.items():
        assert f"### `papersift {name}" in README, name
        for parameter in command.params:
            for option in parameter.opts:
                if option.startswith("--") and option != "--help":
                    assert option in README, f"{name} {option}"


def test_the_two_setup_commands_are_the_ones_ci_runs() -> None:
    assert re.search(r"^make run\b", README, re.MULTILINE)
    assert re.search(r"^make test\b", README, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
