"""Subscriptions on a real index: the first issue is the current top N, and papers that arrive
match when a fresh search of the subscription would rank them in its top N (the definition; the
percolator computes it without running any search). Dense and lexical searches and paper lists
match exactly; hybrid ones standardise with each leg's spread as of their last refresh, so they
may differ a little: here, where each batch grows the corpus by 12%, for at most 10% of them."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.records import paper_from_record
from papersift.search.backends.interface import Backend, BackendConfig
from papersift.search.backends.local import open_backend
from papersift.search.errors import QueryError
from papersift.search.requests import Filters, Mode, SearchRequest
from papersift.search.subscriptions.model import Delivery, Kind, Spec
from papersift.search.subscriptions.service import Subscriptions, attach
from tests.helpers.data import SAMPLE_STEP, demo_records

QUERIES = ["graph neural networks", "dark matter halo", "quantum error correction",
           "large language model reasoning", "superconductivity in thin films",
           "reinforcement learning from human feedback", "galaxy cluster mass",
           "diffusion models for images", "spin chains", "exoplanet atmospheres"]  # fmt: skip


@pytest.fixture
def index(tmp_path: Path, sample_index_folder: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(sample_index_folder, copy)
    return copy


def opened(folder: Path, encoder: Encoder) -> tuple[Backend, Subscriptions]:
    backend = open_backend(BackendConfig(index=folder))
    backend.reader._encoder = encoder  # type: ignore[attr-defined]  # (the session's model)
    subscriptions = attach(backend, create=True)
    assert subscriptions is not None
    return backend, subscriptions


def specs(backend: Backend, rng: random.Random) -> list[Spec]:
    """Saved searches in every mode, some filtered, and paper lists."""
    papers = [backend.reader.paper(backend.reader.index.papers.id_of(row))  # type: ignore[attr-defined]
              for row in range(0, 200, 9)]  # fmt: skip
    found: list[Spec] = []
    for number, query in enumerate(QUERIES):
        for mode in Mode:
            filters = Filters(year_from=2026) if number % 3 == 0 else Filters()
            found.append(Spec(Kind.search, query, mode, filters, top=rng.choice([5, 10])))
    for start in range(0, 12, 3):
        positives = tuple(paper.id for paper in papers[start : start + 2] if paper)
        found.append(Spec(Kind.papers, positives=positives, top=10))
    return found


def fresh_top(backend: Backend, spec: Spec) -> set[str]:
    """The definition: the ids a fresh search of the subscription ranks in its top N."""
    if spec.kind == Kind.papers:
        reader = backend.reader
        from papersift.search.subscriptions.profiles import likeness

        vector = likeness(reader.vectors(list(spec.positives)), reader.vectors([]))
        hits = reader.nearest(vector, spec.top, spec.filters, set(spec.positives))
    else:
        request = SearchRequest(spec.query, spec.mode, limit=spec.top, filters=spec.filters)
        hits = backend.reader.search(request).hits
    return {hit.id for hit in hits}


@pytest.mark.slow
def test_new_papers_match_when_a_fresh_search_would_rank_them_in_the_top_n(
    index: Path, encoder: Encoder
) -> None:
    backend, subscriptions = opened(index, encoder)
    rng = random.Random(7)
    created = [subscriptions.create(spec, Delivery(), "token") for spec in specs(backend, rng)]
    for item in created:  # the first issue is the current top N
        assert {hit.id for hit in item.first_issue} == fresh_top(backend, item.subscription.spec)
    arrivals = [paper_from_record(r) for r in demo_records()[1::SAMPLE_STEP][:60]]
    agree = total = 0
    for batch in (arrivals[:30], arrivals[30:]):
        before = {item.subscription.id: subscriptions.store.match_count(item.subscription.id)
                  for item in created}  # fmt: skip
        assert backend.writer is not None
        backend.writer.upsert(batch, encoder)
        new_ids = {paper.id for paper in batch}
        for item in created:
            subscription = item.subscription
            matched = {m.paper_id for m in subscriptions.store.matches(subscription.id, 200)}
            expected = fresh_top(backend, subscription.spec) & new_ids
            got = matched & new_ids
            total += 1
            agree += expected == got
            if subscription.spec.kind == Kind.papers or subscription.spec.mode != Mode.hybrid:
                assert got == expected, (subscription.spec, got, expected)
            assert subscriptions.store.match_count(subscription.id) >= before[subscription.id]
    assert agree / total >= 0.9, f"{agree}/{total} subscriptions agree with a fresh search"


def test_bad_subscriptions_are_refused_naming_the_field(index: Path, encoder: Encoder) -> None:
    _, subscriptions = opened(index, encoder)
    cases: list[tuple[Spec, str]] = [
        (Spec(Kind.search, "  "), "q"),
        (Spec(Kind.search, "x", top=0), "top"),
        (Spec(Kind.search, "x", top=1000), "top"),
        (Spec(Kind.papers, positives=("no-such-paper",)), "papers"),
    ]
    for spec, field in cases:
        with pytest.raises(QueryError) as refused:
            subscriptions.create(spec, Delivery(), "token")
        assert refused.value.field == field
    assert subscriptions.store.all() == []


def test_subscriptions_survive_a_reopen_and_a_compaction(index: Path, encoder: Encoder) -> None:
    backend, subscriptions = opened(index, encoder)
    made = subscriptions.create(Spec(Kind.search, "quantum computing"), Delivery(), "token")
    assert backend.writer is not None
    backend.writer.close()
    live: Any = open_backend(BackendConfig(index=index, compact_after=1)).writer
    live.compact()
    live.close()
    _, reopened = opened(index, encoder)
    assert reopened.store.get(made.subscription.id) == made.subscription
    assert reopened.store.match_count(made.subscription.id) == len(made.first_issue)
