"""The server as an attacker meets it: a real uvicorn on loopback, raw sockets where a client
library would be too polite. Every body sent is small; every wait is bounded by a socket timeout."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.helpers.servers import Server, serving

TOKEN = "adversarial-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FRONT_END = "https://front.example"
PAPER = {"title": "Quokka burrow acoustics", "abstract": "Quokkas dig burrows in sandy soil."}
SETTINGS = {
    "PAPERSIFT_WRITE_TOKEN": TOKEN,
    "PAPERSIFT_CORS_ORIGINS": f'["{FRONT_END}"]',
    "PAPERSIFT_BODY_TIMEOUT": "1",
    "PAPERSIFT_MAX_BODY_BYTES": "65536",
    "PAPERSIFT_MAX_UPSERT": "4",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, sample_index_folder: Path) -> Path:
    copy = tmp_path_factory.mktemp("adversarial") / "index"
    shutil.copytree(sample_index_folder, copy)
    return copy


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    with serving(folder, env=SETTINGS) as running:
        yield running


def exchange(server: Server, head: str, body: bytes = b"", pause: float = 0.0) -> tuple[int, bytes]:
    """Send raw request bytes; returns the status and the whole response as far as it came."""
    address = urlsplit(server.base)
    with socket.create_connection((address.hostname, address.port), timeout=20) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        time.sleep(pause)
        response = b""
        while b"\r\n\r\n" not in response or not _complete(response):
            chunk = connection.recv(65536)
            if not chunk:
                break
            response += chunk
    return int(response.split(b" ", 2)[1]), response


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def test_a_huge_announced_body_is_refused_before_it_is_sent(server: Server) -> None:
    head = ("POST /api/search/batch HTTP/1.1\nHost: x\nContent-Type: application/json\n"
            "Content-Length: 36000000\n")  # fmt: skip
    status, response = exchange(server, head, b'{"queries": [')
    assert status == 413 and b"larger than 65,536 bytes" in response
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200


def test_a_chunked_body_is_cut_off_at_the_limit(server: Server) -> None:
    chunks = [b'{"queries": ['] + [b'{"q": "x"},' * 1000] * 10
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    head = ("POST /api/search/batch HTTP/1.1\nHost: x\nContent-Type: application/json\n"
            "Transfer-Encoding: chunked\n")  # fmt: skip
    status, response = exchange(server, head, body)
    assert status == 413 and b'"status":413' in response


def test_a_write_without_the_token_is_refused_before_its_body(server: Server) -> None:
    head = ("PUT /api/papers/p1 HTTP/1.1\nHost: x\nContent-Type: application/json\n"
            "Content-Length: 100000000\n")  # fmt: skip
    status, response = exchange(server, head, b'{"title": "')
    assert status == 401 and b"www-authenticate: bearer" in response.lower()


def test_a_body_that_never_arrives_times_out(server: Server) -> None:
    head = (f"PUT /api/papers/p1 HTTP/1.1\nHost: x\nContent-Type: application/json\n"
            f"Authorization: Bearer {TOKEN}\nContent-Length: 1000\n")  # fmt: skip
    status, response = exchange(server, head, b'{"title": ')
    assert status == 408 and b"did not arrive within 1 seconds" in response
    assert httpx.get(f"{server.base}/api/papers/p1", timeout=5).status_code == 404


def test_the_scheme_word_is_case_insensitive(server: Server) -> None:
    for scheme in ("bearer", "BEARER"):
        auth = {"Authorization": f"{scheme} {TOKEN}"}
        response = httpx.put(f"{server.base}/api/papers/case-1", json=PAPER, headers=auth,
                             timeout=60)  # fmt: skip
        assert response.status_code == 200, response.text
    for wrong in ("Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}x", ""):
        status, _ = exchange(server, f"DELETE /api/papers/case-1 HTTP/1.1\nHost: x\n"
                                     f"Authorization: {wrong}\nContent-Length: 0\n")  # fmt: skip
        assert status == 401, wrong


def test_only_http_links_are_stored(server: Server) -> None:
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//x.example"):
        response = httpx.put(f"{server.base}/api/papers/link-1", json={**PAPER, "url": url},
                             headers=AUTH, timeout=10)  # fmt: skip
        assert response.status_code == 422 and response.json()["error"]["field"] == "url"


@pytest.mark.parametrize("path", ["/", "/?q=quokka", "/api/search?q=quokka", "/docs", "/nope"])
def test_every_response_carries_the_security_headers(server: Server, path: str) -> None:
    headers = httpx.get(f"{server.base}{path}", timeout=30).headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src" not in policy.replace(
        "default-src 'self'", ""
    )  # scripts fall back to default-src 'self': nothing inline
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_a_configured_front_end_may_send_the_token(server: Server) -> None:
    preflight = httpx.options(
        f"{server.base}/api/papers/cors-1",
        headers={"Origin": FRONT_END, "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "authorization, content-type"},
        timeout=10,
    )  # fmt: skip
    assert preflight.status_code == 200, preflight.text
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    refused = httpx.put(f"{server.base}/api/papers/cors-1", json=PAPER, timeout=10,
                        headers={"Origin": FRONT_END})  # fmt: skip
    assert refused.status_code == 401  # a refusal the front end can read:
    assert refused.headers["access-control-allow-origin"] == FRONT_END


@pytest.mark.parametrize(
    "raw_id", ["%20a%09b%20", "a%00b", "x" * 60_000, "x/similar", "a//b", "a%0Ab"]
)
def test_ids_are_refused_not_rewritten(server: Server, raw_id: str) -> None:
    put = httpx.put(f"{server.base}/api/papers/{raw_id}", json=PAPER, headers=AUTH, timeout=10)
    assert put.status_code == 422 and put.json()["error"]["field"] == "id", put.text
    methods = ("DELETE",) if raw_id.endswith("/similar") else ("GET", "DELETE")  # GET: x's
    for method in methods:
        response = httpx.request(method, f"{server.base}/api/papers/{raw_id}", headers=AUTH,
                                 timeout=10)  # fmt: skip
        assert response.status_code == 422, (method, response.text)


def test_old_style_arxiv_ids_work_in_every_route(server: Server) -> None:
    base, doc_id = server.base, "hep-th/9901001"
    for path in (doc_id, quote(doc_id, safe="")):  # as typed, and with the slash escaped
        put = httpx.put(f"{base}/api/papers/{path}", json=PAPER, headers=AUTH, timeout=60)
        assert put.status_code == 200 and put.json()["upserted"] == [doc_id], put.text
        assert httpx.get(f"{base}/api/papers/{path}", timeout=10).json()["id"] == doc_id
        similar = httpx.get(f"{base}/api/papers/{path}/similar", timeout=10)
        assert similar.status_code == 200 and similar.json()["id"] == doc_id
        page = httpx.get(f"{base}/similar/{path}", timeout=10, follow_redirects=True)
        assert page.status_code == 200 and page.url.path == f"/papers/{doc_id}"
        gone = httpx.delete(f"{base}/api/papers/{path}", headers=AUTH, timeout=10)
        assert gone.status_code == 200 and gone.json()["deleted"] == [doc_id]


def test_a_blank_token_disables_writes_and_says_so(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(folder, copy)
    with serving(copy, env={"PAPERSIFT_WRITE_TOKEN": "  "}) as blank:
        for header in ("Bearer ", "Bearer", "bearer   "):
            head = (f"PUT /api/papers/b-1 HTTP/1.1\nHost: x\nAuthorization: {header}\n"
                    "Content-Length: 2\nContent-Type: application/json\n")  # fmt: skip
            status, response = exchange(blank, head, b"{}")
            assert status == 403, response
    assert "papersift: warning: PAPERSIFT_WRITE_TOKEN is set but blank: writes stay disabled" in (
        blank.printed
    )
