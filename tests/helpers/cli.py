"""The command line run in-process, as a user would call it: its exit code and what it printed."""

from __future__ import annotations

import sys

import pytest

from papersift.api.cli.main import main


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["papersift", *args])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("papersift: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]
