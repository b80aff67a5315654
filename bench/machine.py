"""The machine a benchmark ran on, in one line for its table and JSON."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """E.g. `x86_64, 2 cores, AVX2 (no AVX-512), 23 GiB, Python 3.11.7`."""
    flags = _cpu_flags()
    vector = "AVX-512" if "avx512f" in flags else "AVX2 (no AVX-512)" if "avx2" in flags else "?"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {vector}, {memory:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()
