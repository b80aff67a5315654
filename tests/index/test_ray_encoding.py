"""Encoding through Ray Data on a local Ray: the same embeddings as in-process, no process left."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from papersift.index.encoding.encoder import Encoder
from papersift.index.encoding.ray import RayEncoding, encode_with_ray
from tests.helpers.data import demo_records

RAY_PROCESSES = ("raylet", "gcs_server", "ray::")


def ray_processes() -> dict[int, str]:
    """Ray's processes running now, by PID."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(name in command for name in RAY_PROCESSES):
            found[int(pid)] = command[:80]
    return found


def assert_none_of_ours_left(before: dict[int, str], seconds: float = 20) -> None:
    """Every Ray process started since `before` has exited (others on the host are not ours)."""
    deadline = time.monotonic() + seconds

    def ours() -> dict[int, str]:
        return {pid: cmd for pid, cmd in ray_processes().items() if pid not in before}

    while ours() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ours() == {}


@pytest.mark.slow
def test_ray_embeddings_equal_the_local_ones(encoder: Encoder) -> None:
    texts = [f"{r['title']} {r['abstract']}" for r in demo_records(40)]
    before = ray_processes()
    local = encoder.encode_documents(texts)
    settings = RayEncoding(actors=2, batch_size=8)
    distributed = encode_with_ray(texts, encoder.name, encoder.runtime, settings)
    assert distributed.shape == local.shape
    cosines = np.sum(local * distributed, axis=1)  # both normalised: same order, same vectors
    assert cosines.min() > 0.9999
    assert_none_of_ours_left(before)
