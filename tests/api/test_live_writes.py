"""Writes against a real server process: concurrency, a full disk, a read-only folder, damage."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import Snapshot
from papersift.index.storage.update_log import LOG_FILE
from tests.helpers.data import ROOT
from tests.helpers.servers import free_port, served, serving

TOKEN = "concurrency-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRITER_ENV = {"PAPERSIFT_WRITE_TOKEN": TOKEN}


def new_paper(number: int) -> dict[str, object]:
    return {"title": f"Marsupial gait study number {number}",
            "abstract": "Kangaroo hopping energetics measured on a treadmill.",
            "categories": "q-bio.PE"}  # fmt: skip


@pytest.mark.slow
def test_queries_during_writes_never_see_a_deleted_paper(folder: Path, encoder: Encoder) -> None:
    index = Snapshot.load(folder)
    victims = {index.papers.id_of(row): index.papers.get(row).title for row in range(0, 60, 5)}
    deleted_at: dict[str, float] = {}
    failures: list[str] = []
    done = threading.Event()
    with served(folder, env={**WRITER_ENV, "PAPERSIFT_COMPACT_AFTER": "8"}) as base:

        def write() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                for number, victim in enumerate(victims):
                    added = http.put(f"/api/papers/gait-{number}", json=new_paper(number),
                                     headers=AUTH)  # fmt: skip
                    gone = http.delete(f"/api/papers/{victim}", headers=AUTH)
                    deleted_at[victim] = time.monotonic()
                    if added.status_code != 200 or gone.status_code != 200:
                        failures.append(f"write failed: {added.text} {gone.text}")
                    if http.get(f"/api/papers/{victim}").status_code != 404:
                        failures.append(f"{victim} still readable after its delete")
                    if http.get(f"/api/papers/gait-{number}").status_code != 200:
                        failures.append(f"gait-{number} not readable after its put")
            done.set()

        def read(reader: int) -> None:
            modes = ("lexical", "dense", "hybrid")
            titles = list(victims.values())
            count = 0
            with httpx.Client(base_url=base, timeout=60) as http:
                while not done.is_set() or count < 10:
                    sent = time.monotonic()
                    if count % 4 == 3:
                        response = http.get(f"/api/papers/{next(iter(victims))}/similar",
                                            params={"limit": 100})  # fmt: skip
                        if response.status_code == 404:  # the source paper itself went away
                            count += 1
                            continue
                    else:
                        params = {"q": titles[(count + reader) % len(titles)],
                                  "mode": modes[count % 3], "limit": 50}  # fmt: skip
                        response = http.get("/api/search", params=params)
                    if response.status_code != 200:
                        failures.append(f"query failed: {response.status_code} {response.text}")
                    for hit in response.json().get("hits", []):
                        if deleted_at.get(hit["id"], sent) < sent:
                            failures.append(f"{hit['id']} returned after its delete")
                    count += 1

        threads = [threading.Thread(target=write)]
        threads += [threading.Thread(target=read, args=(reader,)) for reader in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        stats = httpx.get(f"{base}/api/stats").json()
    assert failures == []
    assert len(deleted_at) == len(victims)
    assert stats["documents"] == index.size  # as many added as deleted
    reloaded = LiveIndex(folder).index
    assert all(reloaded.papers.row_of(victim) is None for victim in victims)


def limit_file_size() -> None:
    """In the child: any write past 64 bytes of a file fails with EFBIG, as on a full disk."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


@pytest.mark.slow
def test_a_full_disk_fails_the_write_cleanly(folder: Path, encoder: Encoder) -> None:
    before = LiveIndex(folder).index
    victim = before.papers.id_of(0)
    with served(folder, env=WRITER_ENV, preexec_fn=limit_file_size) as base:
        put = httpx.put(f"{base}/api/papers/full-1", json=new_paper(1), headers=AUTH, timeout=60)
        gone = httpx.delete(f"{base}/api/papers/{victim}", headers=AUTH, timeout=60)
        for response in (put, gone):
            assert response.status_code == 503, response.text
            assert "File too large" in response.json()["error"]["message"]
            assert "nothing was changed" in response.json()["error"]["message"]
        assert httpx.get(f"{base}/api/papers/full-1").status_code == 404
        assert httpx.get(f"{base}/api/papers/{victim}").status_code == 200
        assert httpx.get(f"{base}/api/stats").json()["documents"] == before.size
    assert (folder / LOG_FILE).stat().st_size == 0  # the partial line was cut back
    after = LiveIndex(folder).index
    assert after.size == before.size and after.papers.row_of(victim) is not None


def limit_file_size_to_the_log() -> None:
    """In the child: files may grow to 100 KB: the update log's lines fit, a compaction's
    rewrite of every index file does not."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.slow
def test_a_failing_compaction_backs_off_instead_of_retrying_every_write(folder: Path) -> None:
    env = {**WRITER_ENV, "PAPERSIFT_COMPACT_AFTER": "1"}
    with serving(folder, env=env, preexec_fn=limit_file_size_to_the_log) as server:
        for number in range(5):
            put = httpx.put(f"{server.base}/api/papers/backoff-{number}", json=new_paper(number),
                            headers=AUTH, timeout=60)  # fmt: skip
            assert put.status_code == 200 and not put.json()["compacted"], put.text
        assert httpx.get(f"{server.base}/api/stats").json()["pending_changes"] == 5
    failures = [line for line in server.printed if "compaction failed" in line]
    assert len(failures) == 1, server.printed
    assert "next try in 60 s" in failures[0] and "File too large" in failures[0]
    assert LiveIndex(folder).index.papers.row_of("backoff-4") is not None


READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'


def run_cli(*args: str, read_only: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`papersift ARGS`; with `read_only`, that folder is mounted read-only for the command."""
    command = [sys.executable, "-m", "papersift", *args]
    if read_only is not None:  # root ignores file modes, so use a read-only bind mount
        command = ["unshare", "-m", "sh", "-c", READ_ONLY_MOUNT, str(read_only), *command]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_read_only_folder_fails_the_write_cleanly(folder: Path) -> None:
    victim = Snapshot.load(folder).papers.id_of(0)
    if os.geteuid() == 0:
        if run_cli("--help", read_only=folder).returncode != 0:
            pytest.skip("cannot mount a read-only folder here (unshare -m needs CAP_SYS_ADMIN)")
        result = run_cli("delete", victim, "--index", str(folder), read_only=folder)
        reason = "Read-only file system"
    else:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        result = run_cli("delete", victim, "--index", str(folder))
        reason = "Permission denied"
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cannot write" in result.stderr and reason in result.stderr, result.stderr
    assert not (folder / LOG_FILE).exists()
    assert LiveIndex(folder).index.papers.row_of(victim) is not None


@pytest.mark.slow
def test_the_server_refuses_to_start_on_a_damaged_index(folder: Path) -> None:
    generation = folder / (folder / "CURRENT").read_text()
    dense = generation / "dense.faiss"
    dense.write_bytes(dense.read_bytes()[:-100])  # truncated
    port = str(free_port())
    result = run_cli("serve", "--index", str(folder), "--port", port)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "dense.faiss: checksum mismatch" in result.stderr
