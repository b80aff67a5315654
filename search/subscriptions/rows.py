"""Rows of the subscriptions database to the model's dataclasses, and back."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from typing import Any

import numpy as np

from papersift.search.requests import Filters, Mode
from papersift.search.subscriptions.model import (
    Channel,
    Delivery,
    Digest,
    Kind,
    Match,
    Outgoing,
    Profile,
    Spec,
    Subscription,
)


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    data = asdict(spec)
    data["filters"] = asdict(spec.filters)
    return data


def spec(data: dict[str, Any]) -> Spec:
    filters = data["filters"]
    return Spec(
        kind=Kind(data["kind"]),
        query=data["query"],
        mode=Mode(data["mode"]),
        filters=Filters(
            filters["year_from"],
            filters["year_to"],
            tuple(filters["categories"]),
            filters["author"],
        ),
        lexical_weight=float(data["lexical_weight"]),
        dense_weight=float(data["dense_weight"]),
        positives=tuple(data["positives"]),
        negatives=tuple(data["negatives"]),
        top=int(data["top"]),
        name=data["name"],
    )


def subscription(row: sqlite3.Row) -> Subscription:
    digest = Digest(row["digest"]) if row["digest"] else None
    return Subscription(
        id=row["id"],
        spec=spec(json.loads(row["spec"])),
        delivery=Delivery(row["webhook_url"], row["email"], digest),
        feed_token=row["feed_token"],
        email_confirmed=bool(row["email_confirmed"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        last_digest_at=row["last_digest_at"],
    )


def profile(row: sqlite3.Row) -> Profile:
    vector = np.frombuffer(row["profile"] or b"", dtype="<f4").astype(np.float32)
    return Profile(
        vector=vector,
        terms=json.loads(row["terms"]),
        spread=tuple(json.loads(row["spread"])),
        top=tuple((paper_id, float(score)) for paper_id, score in json.loads(row["top"])),
    )


def match(row: sqlite3.Row) -> Match:
    return Match(
        row["subscription_id"],
        row["paper_id"],
        row["matched_at"],
        row["score"],
        bool(row["first_issue"]),
    )


def outgoing(row: sqlite3.Row) -> Outgoing:
    return Outgoing(
        row["id"],
        row["subscription_id"],
        Channel(row["channel"]),
        row["key"],
        row["payload"],
        row["attempts"],
        row["created_at"],
        row["next_attempt_at"],
        row["last_error"],
    )
