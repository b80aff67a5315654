"""A real `papersift serve` subprocess on a free loopback port, stopped on exit."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers.data import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL, and what it printed (complete once it has stopped)."""

    base: str
    process: subprocess.Popen[str]
    printed: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serving(
    index: Path,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    user: int | None = None,
) -> Iterator[Server]:
    """Serve `index`; yields once `/readyz` answers 200. Its output lands in `printed` on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "papersift", "serve", "--index", str(index),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {})}, preexec_fn=preexec_fn, user=user,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_ready(process, server.base)
        yield server
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        server.printed.extend(output.splitlines())


@contextlib.contextmanager
def served(
    index: Path,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    user: int | None = None,
) -> Iterator[str]:
    """Serve `index`; yields the base URL once `/readyz` answers 200."""
    with serving(index, env, preexec_fn, user) as server:
        yield server.base


def wait_until_ready(process: subprocess.Popen[str], base: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"server did not become ready in {seconds:.0f} s")


@contextlib.contextmanager
def milvus_server(data: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A milvus-lite gRPC server on a loopback port, stopped by PID afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "milvus-lite server exited"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("milvus-lite did not listen within 60 s")
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def listening(command: list[str], port: int, name: str, seconds: float = 30) -> Iterator[None]:
    """Run `command` (a server) until it listens on loopback `port`; stop it by PID after."""
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + seconds
        while True:
            assert process.poll() is None, f"the {name} exited"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, f"the {name} did not listen"
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextlib.contextmanager
def oai_repository(plan: dict[str, object], folder: Path) -> Iterator[str]:
    """The test OAI-PMH repository (tests/helpers/oai_server.py) serving `plan` on a loopback
    port; yields its base URL."""
    port = free_port()
    plan_file = folder / f"oai-plan-{port}.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    command = [sys.executable, "-m", "tests.helpers.oai_server", str(port), str(plan_file)]
    with listening(command, port, "OAI-PMH test server"):
        yield f"http://127.0.0.1:{port}/oai"


@contextlib.contextmanager
def webhook_receiver(log: Path, fail_first: int = 0, port: int | None = None) -> Iterator[str]:
    """The test webhook receiver (tests/helpers/webhook_receiver.py) on a loopback port: it
    logs every POST to `log` and answers 500 to the first `fail_first`; yields its URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "tests.helpers.webhook_receiver", str(port), str(log),
               str(fail_first)]  # fmt: skip
    with listening(command, port, "webhook receiver"):
        yield f"http://127.0.0.1:{port}/hook"


@contextlib.contextmanager
def smtp_server(maildir: Path) -> Iterator[int]:
    """aiosmtpd on a loopback port, delivering into the Maildir `maildir`; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
               "-c", "aiosmtpd.handlers.Mailbox", str(maildir)]  # fmt: skip
    with listening(command, port, "SMTP server"):
        yield port
