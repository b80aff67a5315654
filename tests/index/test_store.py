"""Index folders: atomic replacement, crash safety, and clear errors for damaged folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from papersift.index.build import BuildOptions, build_index
from papersift.index.encoding.encoder import Encoder
from papersift.index.errors import (
    IndexCorruptError,
    IndexNotFoundError,
    IndexVersionError,
    IndexWriteError,
    ModelMismatchError,
)
from papersift.index.storage.generations import CURRENT_FILE, current_generation, write_generation
from papersift.index.storage.manifest import MANIFEST_FILE, Manifest
from papersift.index.storage.snapshot import Snapshot
from tests.helpers.data import ROOT, demo_records, write_jsonl


@pytest.fixture()
def small_index(tmp_path: Path, encoder: Encoder) -> Path:
    corpus = write_jsonl(tmp_path / "c.jsonl", demo_records(20))
    folder = tmp_path / "idx"
    build_index([corpus], folder, encoder=encoder)
    return folder


def test_manifest_describes_the_index(small_index: Path) -> None:
    manifest = Manifest.read(current_generation(small_index))
    assert manifest.documents == 20
    assert (manifest.model.name, manifest.model.dimension) == ("all-MiniLM-L6-v2", 384)
    assert manifest.bm25.k1 == 1.2 and manifest.tokenizer.stemmer == "english"
    assert manifest.tokenizer.title_weight == 2
    assert {"papers.jsonl", "dense.faiss", "lexical.postings.npz"} <= set(manifest.files)
    assert all(len(info.sha256) == 64 for info in manifest.files.values())


def test_no_index_file_is_a_pickle(small_index: Path) -> None:
    for path in current_generation(small_index).iterdir():
        assert not path.read_bytes().startswith(b"\x80"), path  # pickle protocols 2 to 5
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # an object array would need pickle: it raises
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                assert all(arrays[name].dtype != object for name in arrays.files), path
        elif path.suffix in (".json", ".jsonl"):
            path.read_text(encoding="utf-8")
        else:
            assert path.name == "dense.faiss", f"unexpected file {path.name}"


def test_a_failing_build_leaves_the_previous_index(small_index: Path) -> None:
    before = current_generation(small_index)

    def explode(staging: Path) -> Manifest:
        (staging / "half-written.npy").write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_generation(small_index, explode)
    assert current_generation(small_index) == before
    assert Snapshot.load(small_index).size == 20
    assert [p.name for p in small_index.iterdir() if p.name.startswith(".staging")] == []


@pytest.mark.slow
def test_build_killed_midway_leaves_previous_index_loadable(
    small_index: Path, tmp_path: Path
) -> None:
    before = current_generation(small_index)
    corpus = write_jsonl(tmp_path / "big.jsonl", demo_records(400))
    child = subprocess.Popen(
        [sys.executable, "-m", "papersift", "build", str(corpus), "--index", str(small_index)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    said = wait_for_output(child, "encoding")  # its progress bar: the encoding is under way
    assert child.poll() is None, f"the build finished before it could be killed: {said}"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert current_generation(small_index) == before
    assert Snapshot.load(small_index).size == 20


def test_rebuild_replaces_the_generation_and_removes_the_old(
    small_index: Path, encoder: Encoder, tmp_path: Path
) -> None:
    old = current_generation(small_index)
    corpus = write_jsonl(tmp_path / "c2.jsonl", demo_records(30))
    build_index([corpus], small_index, encoder=encoder)
    assert current_generation(small_index) != old and not old.exists()
    assert Snapshot.load(small_index).size == 30


def test_altered_file_is_named_in_the_error(small_index: Path) -> None:
    target = current_generation(small_index) / "papers.jsonl"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"papers\.jsonl: checksum mismatch"):
        Snapshot.load(small_index)


def test_truncated_file_is_detected(small_index: Path) -> None:
    target = current_generation(small_index) / "dense.faiss"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(IndexCorruptError, match=r"dense\.faiss"):
        Snapshot.load(small_index)


def test_corrupted_manifest_is_a_clear_error(small_index: Path) -> None:
    (current_generation(small_index) / MANIFEST_FILE).write_text("{ not json")
    with pytest.raises(IndexCorruptError, match=r"unreadable manifest.*rebuild"):
        Snapshot.load(small_index)


def test_other_format_version_asks_for_a_rebuild(small_index: Path) -> None:
    path = current_generation(small_index) / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(IndexVersionError, match=r"format 99.*rebuild"):
        Snapshot.load(small_index)


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="papersift build"):
        Snapshot.load(tmp_path / "nothing-here")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError, match="holds no papersift index"):
        Snapshot.load(tmp_path / "empty")


def test_dangling_current_pointer_is_corrupt(small_index: Path) -> None:
    (small_index / CURRENT_FILE).write_text("gen-missing")
    with pytest.raises(IndexCorruptError, match="missing folder"):
        Snapshot.load(small_index)


@pytest.mark.parametrize("pointer", ["../elsewhere", "/etc", "gen-x/../../elsewhere", "."])
def test_a_current_pointer_outside_the_folder_is_refused(
    small_index: Path, pointer: str, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"  # a real index, but not this folder's
    outside.mkdir()
    generation = current_generation(small_index)
    for child in generation.iterdir():
        (outside / child.name).write_bytes(child.read_bytes())
    (small_index / CURRENT_FILE).write_text(pointer)
    with pytest.raises(IndexCorruptError, match="not a generation folder inside"):
        Snapshot.load(small_index)


def test_a_build_into_a_file_fails_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("not an index")
    corpus = write_jsonl(tmp_path / "c.jsonl", demo_records(3))
    options = BuildOptions(model=str(tmp_path / "no-such-model"))  # would fail if ever loaded
    with pytest.raises(IndexWriteError, match="is a file, not a folder"):
        build_index([corpus], target, options)
    assert target.read_text() == "not an index"


def test_another_model_is_refused(sample_index: Snapshot) -> None:
    with pytest.raises(ModelMismatchError, match="built with model 'all-MiniLM-L6-v2'"):
        sample_index.check_model_name("sentence-transformers/all-mpnet-base-v2")
    sample_index.check_model_name("sentence-transformers/all-MiniLM-L6-v2")  # same model


def wait_for_output(child: subprocess.Popen[bytes], text: str) -> str:
    """Read the child's stderr until `text` appears (or it ends); returns what was read."""
    assert child.stderr is not None
    seen = b""
    while text.encode() not in seen:
        byte = child.stderr.read(1)
        if not byte:
            break
        seen += byte
    return seen.decode(errors="replace")
