"""The folder where papersift keeps what it makes for itself: exported models, cached indexes."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

CACHE_ENV = "PAPERSIFT_CACHE_DIR"


def cache_dir() -> Path:
    """`$PAPERSIFT_CACHE_DIR`, else the user cache folder (e.g. ~/.cache/papersift)."""
    return Path(os.environ.get(CACHE_ENV) or user_cache_dir("papersift"))
