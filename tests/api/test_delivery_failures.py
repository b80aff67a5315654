"""Deliveries that fail in every way a receiver, a URL or a stranger can make them fail: each is
that delivery's own failure (counted, retried), never the round's, and a slow or flooding
receiver holds up only its own delivery, for at most its deadline. Two processes on one index
send each delivery once."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from papersift.api.delivery import letters, mail
from papersift.api.delivery.addresses import is_public, private_problem, url_problem
from papersift.api.delivery.config import DeliveryConfig, SmtpConfig
from papersift.api.delivery.courier import Courier
from papersift.index.encoding.encoder import Encoder
from papersift.search.subscriptions.model import Channel, Delivery, Kind, Spec, Subscription
from papersift.search.subscriptions.service import Subscriptions
from papersift.search.subscriptions.store import DATABASE_FILE, SubscriptionStore
from tests.helpers.cli import run_cli
from tests.helpers.data import write_jsonl
from tests.helpers.servers import free_port, webhook_receiver
from tests.helpers.slow_receivers import BIG_BODY, misbehaving
from tests.search.test_subscriptions import opened

QUERY = "graph neural networks"
CONFIG = DeliveryConfig(public_url="http://testserver", smtp=None, webhook_deadline=1.0)


def subscribed(subscriptions: Subscriptions, *urls: str) -> list[str]:
    """A webhook subscription per URL, made in this order (so delivered oldest first)."""
    spec = Spec(Kind.search, QUERY, top=3)
    return [subscriptions.create(spec, Delivery(webhook_url=url), "token").subscription.id
            for url in urls]  # fmt: skip


def last_errors(folder: Path) -> dict[str, str | None]:
    with sqlite3.connect(folder / DATABASE_FILE) as db:
        return dict(db.execute("SELECT subscription_id, last_error FROM outbox").fetchall())


@pytest.mark.parametrize(
    "url",
    [
        "http://0177.0.0.1/",
        "http://010.010.010.010/",
        "http://xn--/",
        "http://a.org/\x7f",
        "http://a.org:99999/",
        "http://user:secret@a.org/",
    ],
)
def test_urls_the_sender_cannot_use_are_refused_when_subscribing(url: str) -> None:
    assert url_problem(url) is not None


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "::127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
    ],
)
def test_non_public_addresses_are_refused_also_wrapped_in_ipv6(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    assert private_problem(f"http://[{address}]/" if ":" in address else f"http://{address}/")


def test_public_addresses_pass_also_wrapped_in_ipv6() -> None:
    for address in ("8.8.8.8", "64:ff9b::808:808", "2002:808:808::", "2606:4700::1111"):
        assert is_public(ipaddress.ip_address(address)), address


def test_a_delivery_that_fails_in_any_way_fails_alone(
    folder: Path, encoder: Encoder, tmp_path: Path
) -> None:
    """A URL stored before today's checks, that httpx refuses, and a digest whose window cannot
    be read (a JSONDecodeError, not a DeliveryError) are each that delivery's failure; the
    deliveries queued after them go."""
    _, subscriptions = opened(folder, encoder)
    smtp = SmtpConfig("127.0.0.1", free_port(), "none", None, None, "p@example.org")
    config = replace(CONFIG, smtp=smtp)
    log = tmp_path / "hooks.jsonl"
    with webhook_receiver(log) as good:
        bad_id, mail_id, good_id = subscribed(subscriptions, good, good, good)
        with sqlite3.connect(folder / DATABASE_FILE) as db:  # as an older release stored it
            db.execute("UPDATE subscriptions SET webhook_url = 'http://xn--/' WHERE id = ?",
                       (bad_id,))  # fmt: skip
            db.execute("UPDATE subscriptions SET webhook_url = NULL, email = 'r@example.org', "
                       "email_token = 't', email_confirmed = 1 WHERE id = ?",
                       (mail_id,))  # fmt: skip
            db.execute("DELETE FROM outbox WHERE subscription_id = ?", (mail_id,))
        subscriptions.store.queue(mail_id, Channel.digest, "digest-1", "{not json")
        done = Courier(subscriptions, config).deliver_due()
        assert (done.delivered, done.failed) == (1, 2)
        assert len(log.read_text().splitlines()) == 1
    errors = last_errors(folder)
    assert errors[good_id] is None
    assert "webhook_url" in (errors[bad_id] or "")
    assert "JSONDecodeError" in (errors[mail_id] or "")
    status = subscriptions.store.delivery_status(bad_id)
    assert status.pending == 1 and status.delivered == 0  # retried later, not given up


def test_a_slow_receiver_holds_up_only_its_own_delivery_for_its_deadline(
    folder: Path, encoder: Encoder
) -> None:
    """A receiver that answers a byte every 0.2 s (httpx's per-read timeout never trips) is cut
    off at the deadline, and the delivery queued after it is taken meanwhile."""
    _, subscriptions = opened(folder, encoder)
    events: list[str] = []
    with misbehaving("drip", events) as slow, misbehaving("prompt", events) as prompt:
        slow_id, _ = subscribed(subscriptions, slow, prompt)
        done = Courier(subscriptions, CONFIG).deliver_due()
    assert (done.delivered, done.failed) == (1, 1)
    assert "did not answer within 1 s" in (last_errors(folder)[slow_id] or "")
    closed = next(i for i, event in enumerate(events) if event.startswith("drip: closed"))
    assert events.index("prompt: request") < closed, events


def test_an_answer_body_is_never_read(folder: Path, encoder: Encoder) -> None:
    _, subscriptions = opened(folder, encoder)
    events: list[str] = []
    with misbehaving("flood", events) as flood:
        subscribed(subscriptions, flood)
        done = Courier(subscriptions, CONFIG).deliver_due()
    assert done.delivered == 1
    sent = int(next(e for e in events if e.startswith("flood: closed")).split()[3])
    assert sent < BIG_BODY // 4, events


def test_two_processes_on_one_index_send_each_delivery_once(
    folder: Path, encoder: Encoder, tmp_path: Path
) -> None:
    """A server and `papersift digest --send` beside it: each claims what it sends."""
    backend, subscriptions = opened(folder, encoder)
    log = tmp_path / "hooks.jsonl"
    with webhook_receiver(log) as url:
        subscribed(subscriptions, *[url] * 6)
        other = Subscriptions(SubscriptionStore(folder), backend)  # its own connection
        couriers = [Courier(subscriptions, CONFIG), Courier(other, CONFIG)]
        threads = [threading.Thread(target=c.deliver_due) for c in couriers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        keys = [json.loads(line)["headers"]["X-Papersift-Delivery"]
                for line in log.read_text().splitlines()]  # fmt: skip
    assert len(keys) == len(set(keys)) == 6


def test_a_subject_is_one_line_whatever_a_name_holds() -> None:
    """Line breaks of every kind (a name typed into the page's form) never reach a header."""
    name = "a\nb\rc\u2028d\x85e" + "f" * 300
    spec = Spec(Kind.search, "q", name=name)
    subscription = Subscription("s1", spec, Delivery(email="r@example.org"), "f", True, "", "page")
    letter = letters.digest(subscription, "token", [], "http://testserver")
    message = mail.message(letter, "papersift <p@example.org>", "key-1")
    subject = str(message["Subject"])
    assert "a b c d e" in subject and len(subject) <= letters.LONGEST_SUBJECT
    assert not any(mark in subject for mark in "\n\r\u2028\x85")
    assert message["Message-ID"] == "<key-1@example.org>"  # the same on every retry


def test_the_confirmation_carries_none_of_the_strangers_words() -> None:
    spec = Spec(Kind.search, "call +1 555 0100 to claim your prize", name="Your bank: act now")
    subscription = Subscription("s1", spec, Delivery(email="r@example.org"), "feed", False, "",
                                "page")  # fmt: skip
    letter = letters.confirmation(subscription, "token", "http://testserver")
    for part in (letter.subject, letter.text, letter.html):
        assert "prize" not in part and "bank" not in part
    assert "http://testserver/subscriptions/confirm/token" in letter.text


def test_a_write_command_succeeds_when_a_delivery_after_it_fails(
    folder: Path,
    encoder: Encoder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`papersift add` committed its change: a delivery that fails afterwards is reported and
    retried later, never the command's failure."""
    backend, subscriptions = opened(folder, encoder)
    (made,) = subscribed(subscriptions, "http://127.0.0.1:9/hook")
    subscriptions.store.close()
    assert backend.writer is not None
    backend.writer.close()  # the command opens the index itself
    with sqlite3.connect(folder / DATABASE_FILE) as db:
        db.execute("UPDATE subscriptions SET webhook_url = 'http://xn--/' WHERE id = ?", (made,))
    record = {"id": "new-gnn", "title": "Graph neural networks with message passing",
              "abstract": "Graph neural networks pass messages between graph nodes."}  # fmt: skip
    corpus = write_jsonl(tmp_path / "new.jsonl", [record])
    code, out, err = run_cli(["add", str(corpus), "--index", str(folder)], capsys, monkeypatch)
    assert code == 0, err
    assert "added 1 papers" in out and "failed (retried later)" in err
