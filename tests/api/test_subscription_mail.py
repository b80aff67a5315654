"""E-mail subscriptions from the page, against a real SMTP server (aiosmtpd): the confirmation
comes first and alone; confirming brings the digest (plain text and HTML, one line per paper,
List-Unsubscribe); its unsubscribe link works. Sign-ups without the token need open_signups and
stay within their limits. STARTTLS is checked against a server with a trustme certificate."""

from __future__ import annotations

import mailbox
import re
import ssl
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from papersift.api.delivery import mail
from papersift.api.delivery.config import SmtpConfig
from papersift.api.delivery.letters import Letter
from tests.helpers.apps import AUTH, TOKEN, writable_app
from tests.helpers.servers import free_port, smtp_server

QUERY = "graph neural networks"
ADDRESS = "reader@example.org"


def app_for(folder: Path, smtp_port: int, **overrides: Any) -> TestClient:
    return writable_app(folder, smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                        public_url="http://testserver", **overrides)  # fmt: skip


@pytest.fixture
def maildir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    box = tmp_path / "mail"
    with smtp_server(box) as port:
        yield box, port


def mails(box: Path, count: int, seconds: float = 20) -> list[EmailMessage]:
    """The messages delivered so far, once there are `count`, oldest first."""
    deadline = time.monotonic() + seconds
    found: list[EmailMessage] = []
    while time.monotonic() < deadline:
        found = [message_from_bytes(m.as_bytes(), policy=policy.default)  # type: ignore[misc]
                 for m in mailbox.Maildir(box)] if box.exists() else []  # fmt: skip
        if len(found) >= count:
            return sorted(found, key=lambda m: m["Date"].datetime)
        time.sleep(0.2)
    pytest.fail(f"{len(found)} mails arrived, not {count}")


def link(message: EmailMessage, kind: str) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(rf"http://testserver(/subscriptions/{kind}/\S+)", text)
    assert found, text
    return found.group(1)


def test_a_page_sign_up_is_confirmed_before_its_digest_which_can_unsubscribe(
    folder: Path, maildir: tuple[Path, int]
) -> None:
    box, port = maildir
    with app_for(folder, port, open_signups=True) as client:
        page = client.get("/", params={"q": QUERY})
        assert 'action="/subscribe"' in page.text and 'name="email"' in page.text
        assert 'name="token"' not in page.text  # open sign-ups need no token
        form = {"q": QUERY, "mode": "hybrid", "email": ADDRESS, "digest": "weekly"}
        answer = client.post("/subscribe", data=form)
        assert answer.status_code == 201, answer.text
        assert "/feeds/" in answer.text and ADDRESS in answer.text

        (confirmation,) = mails(box, 1)
        assert confirmation["To"] == ADDRESS and "Confirm" in confirmation["Subject"]
        confirm = link(confirmation, "confirm")
        assert "Confirm" in client.get(confirm).text  # a GET only shows the button
        time.sleep(1.0)
        assert len(mails(box, 1)) == 1  # nothing else before confirmation
        assert client.post(confirm).status_code == 200

        digest = mails(box, 2)[-1]
        listed = client.get("/api/subscriptions", headers=AUTH)
        (subscription,) = listed.json()["subscriptions"]
        assert subscription["email_confirmed"] and subscription["created_by"] == "page"
        first = client.get("/api/search", params={"q": QUERY, "limit": 10}).json()["hits"]
        text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
        lines = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(lines) == len(first) == 10
        assert {hit["id"] for hit in first} == {line.rsplit("/", 1)[-1] for line in lines}
        assert html.count("<li>") == 10
        unsubscribe = link(digest, "unsubscribe")
        assert digest["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert client.get(unsubscribe).status_code == 404
        listed = client.get("/api/subscriptions", headers=AUTH)
        assert listed.json()["subscriptions"][0]["email"] is None


def test_page_sign_ups_need_the_token_unless_open_and_stay_within_limits(
    folder: Path, maildir: tuple[Path, int]
) -> None:
    _, port = maildir
    form = {"q": QUERY, "email": ADDRESS}
    with app_for(folder, port) as client:
        assert 'name="token"' in client.get("/", params={"q": QUERY}).text
        assert client.post("/subscribe", data=form).status_code == 403
        assert client.post("/subscribe", data={**form, "token": "wrong"}).status_code == 401
        assert client.post("/subscribe", data={**form, "token": TOKEN}).status_code == 201
    other = {"q": QUERY, "email": "other@example.org", "webhook_url": "http://127.0.0.1/"}
    with app_for(folder, port, open_signups=True, signups_per_address=1, signups_total=2) as client:
        assert client.post("/subscribe", data=other).status_code == 201
        assert client.post("/subscribe", data=other).status_code == 429  # this address's one
        assert client.post("/subscribe", data={"q": QUERY}).status_code == 201
        assert client.post("/subscribe", data={"q": "spin chains"}).status_code == 429  # all
        bad = client.post("/subscribe", data={"q": QUERY, "top": "100000", "token": TOKEN})
        assert bad.status_code == 422 and "top" in bad.text
        listed = client.get("/api/subscriptions", headers=AUTH)
        made = listed.json()["subscriptions"]
        assert [s["created_by"] for s in made] == ["token", "page", "page"]
        assert not any(s["webhook_url"] for s in made)  # never from the page


class Collect:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def test_mail_goes_over_starttls_with_a_verified_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="localhost", port=port,
                            tls_context=server_context, require_starttls=True)  # fmt: skip
    controller.start()
    try:
        letter = Letter(ADDRESS, "A subject", "plain text", "<p>html</p>")
        config = SmtpConfig("localhost", port, "starttls", None, None, "papersift <p@x.org>")
        with pytest.raises(mail.DeliveryError, match="certificate"):
            mail.send(config, mail.message(letter, config.sender))  # an unknown authority
        authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        mail.send(config, mail.message(letter, config.sender))
    finally:
        controller.stop()
    (received,) = handler.messages
    assert b"Subject: A subject" in received
