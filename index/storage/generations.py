"""Index folders on disk: written atomically, checked on load.

Layout: `DIR/CURRENT` names the live generation, `DIR/<generation>/` holds `manifest.json` and
the plain files it lists. A build writes a new generation into a hidden staging folder, fsyncs
every file, writes the manifest last, renames the folder into place and only then swaps
`CURRENT` with `os.replace`. A crash at any point leaves the previous index untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from papersift.index.errors import IndexCorruptError, IndexNotFoundError, IndexWriteError
from papersift.index.storage.manifest import MANIFEST_FILE, FileInfo, Manifest

logger = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
STAGING_PREFIX = ".staging-"
GENERATION_PREFIX = "gen-"
GENERATION_NAME = re.compile(r"gen-[0-9A-Za-z-]+")  # a plain name: no '/', no '..'


def write_generation(folder: Path, write_files: Callable[[Path], Manifest]) -> Path:
    """Create a new generation of the index at `folder` and make it current.

    `write_files(staging)` writes the data files and returns the manifest (without checksums,
    which are filled in here). Returns the generation folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        manifest = write_files(staging)
        manifest = _with_checksums(manifest, staging)
        _write_durably(staging / MANIFEST_FILE, manifest.to_json().encode("utf-8"))
        fsync_folder(staging)
        generation = folder / f"{GENERATION_PREFIX}{_timestamp()}-{uuid.uuid4().hex[:8]}"
        os.rename(staging, generation)
        _write_durably(folder / f"{CURRENT_FILE}.tmp", generation.name.encode("utf-8"))
        os.replace(folder / f"{CURRENT_FILE}.tmp", folder / CURRENT_FILE)
        fsync_folder(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_stale(folder, keep=generation.name)
    return generation


def prepare_folder(folder: Path) -> None:
    """Make sure an index can be written at `folder` before any work is spent on it: the folder
    exists (or is created) and a file can be created in it."""
    if folder.exists() and not folder.is_dir():
        raise IndexWriteError(f"{folder} is a file, not a folder; give a folder for the index")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f"{STAGING_PREFIX}probe-{uuid.uuid4().hex}"
        probe.mkdir()
        probe.rmdir()
    except OSError as error:
        raise IndexWriteError(f"cannot write an index at {folder}: {error}") from error


def current_generation(folder: Path) -> Path:
    """The folder holding the live manifest (the index folder itself for a flat layout)."""
    if (folder / MANIFEST_FILE).is_file():
        return folder
    pointer = folder / CURRENT_FILE
    if not pointer.is_file():
        if folder.exists():
            raise IndexNotFoundError(
                f"{folder} holds no papersift index; build one with `papersift build CORPUS "
                f"--index {folder}`"
            )
        raise IndexNotFoundError(
            f"index folder not found: {folder}; build one with `papersift build CORPUS --index "
            f"{folder}`"
        )
    name = pointer.read_text(encoding="utf-8").strip()
    if not GENERATION_NAME.fullmatch(name):
        raise IndexCorruptError(
            f"{pointer}: names {name[:100]!r}, which is not a generation folder inside {folder}; "
            "rebuild the index"
        )
    generation = folder / name
    if not generation.is_dir():
        raise IndexCorruptError(f"{folder}: {CURRENT_FILE} points to a missing folder; rebuild")
    return generation


def verify_files(generation: Path, manifest: Manifest) -> None:
    """Check every listed file exists with its size and sha256; raise naming the first bad one."""
    for name, info in manifest.files.items():
        path = generation / name
        if not path.is_file():
            raise IndexCorruptError(f"{path}: missing index file; rebuild the index")
        if path.stat().st_size != info.bytes or sha256_of(path) != info.sha256:
            raise IndexCorruptError(
                f"{path}: checksum mismatch (the file was altered or truncated); rebuild the index"
            )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _with_checksums(manifest: Manifest, staging: Path) -> Manifest:
    files = {}
    for path in sorted(staging.iterdir()):
        _fsync_file(path)
        files[path.name] = FileInfo(sha256=sha256_of(path), bytes=path.stat().st_size)
    return dataclasses.replace(manifest, files=files)


def _write_durably(path: Path, content: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_folder(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_stale(folder: Path, keep: str) -> None:
    """Older generations and staging folders left by crashed builds."""
    for child in folder.iterdir():
        stale_generation = child.name.startswith(GENERATION_PREFIX) and child.name != keep
        if child.is_dir() and (stale_generation or child.name.startswith(STAGING_PREFIX)):
            logger.debug("removing stale %s", child)
            shutil.rmtree(child, ignore_errors=True)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
