"""The wheel, installed (not editable) into a fresh environment: it holds `papersift` and nothing
else of ours, and the package and its command work from there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.helpers.data import ROOT

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_wheel_installs_papersift_and_nothing_else(tmp_path: Path) -> None:
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
        "--wheel-dir", tmp_path / "dist", ".")  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("papersift-*.whl")
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel)
    ours = sorted(path.name for path in site.iterdir() if not path.name.startswith("_"))
    assert ours == ["papersift", f"{wheel.name.split('-py')[0]}.dist-info"], ours
    # The dependencies come from this environment, by path alone: its .pth files (this
    # checkout's editable install among them) are not read, so `papersift` is the wheel's.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    where = run(python, "-c", "import papersift.api.http.app as app; print(app.__file__)",
                cwd=tmp_path)  # fmt: skip
    assert where.startswith(str(site / "papersift" / "api")), where
    templates = site / "papersift" / "api" / "templates"
    assert (templates / "paper.html").is_file() and (
        site / "papersift/api/data/demo.jsonl.gz"
    ).is_file()
    assert "Usage: papersift" in run(fresh / "bin" / "papersift", "--help", cwd=tmp_path)
