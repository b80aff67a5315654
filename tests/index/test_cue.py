"""The match cue's threshold each index calibrates from its own corpus: at build, kept in the
manifest, again at compaction; the default for a corpus too small to calibrate on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from papersift.api.demo import demo_embeddings
from papersift.index.build import build_index
from papersift.index.cue.calibration import MAX_QUERIES, PERCENTILE, pseudo_query_standouts
from papersift.index.cue.pseudo_queries import PseudoQuery, pseudo_queries, query_text
from papersift.index.cue.threshold import DEFAULT_THRESHOLD
from papersift.index.encoding.encoder import Encoder
from papersift.index.encoding.precomputed import Precomputed, int8_codes
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import paper_from_record
from papersift.index.storage.generations import current_generation
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.manifest import MANIFEST_FILE
from papersift.index.storage.snapshot import Snapshot
from tests.helpers.data import demo_records, write_jsonl


def test_the_build_calibrates_a_threshold_that_separates_nonsense(
    sample_index: Snapshot, sample_index_folder: Path
) -> None:
    cue = sample_index.manifest.cue
    assert cue is not None and cue.method == "pseudo-queries"
    assert cue.queries == sample_index.size and cue.percentile == PERCENTILE  # every title
    assert cue.documents == sample_index.size
    assert 0.1 < cue.threshold < 0.6 and cue.threshold != DEFAULT_THRESHOLD
    assert cue.queries_flagged <= 0.05  # few of the corpus's own questions are told "weak"
    assert cue.nonsense == 120 and cue.nonsense_flagged is not None
    assert cue.nonsense_flagged >= 0.9  # nearly all nonsense is
    stored = json.loads((current_generation(sample_index_folder) / MANIFEST_FILE).read_text())
    assert stored["cue"]["threshold"] == cue.threshold
    assert stored["cue"]["method"] == "pseudo-queries" and stored["cue"]["calibrated_at"]


def test_pseudo_queries_are_titles_spread_evenly_and_always_the_same() -> None:
    papers = [Paper(f"p{row}", f"Title number {row}", "An abstract.") for row in range(1000)]
    papers[0] = Paper("p0", "", "Without a title. The first sentence stands in.")
    papers[10] = Paper("p10", "Alone", "")  # one word, no sentence: nothing to ask
    papers[20] = Paper("p20", "title NUMBER 30", "")  # the same words as p30's, once
    found = pseudo_queries(lambda row: papers[row], range(1000), 100)
    assert found == pseudo_queries(lambda row: papers[row], range(1000), 100)
    assert len(found) == 100 and len({query.row for query in found}) == 100
    assert found[:3] == [
        PseudoQuery(0, "Without a title."),
        PseudoQuery(20, "title NUMBER 30"),
        PseudoQuery(40, "Title number 40"),
    ]
    assert found[-2:] == [PseudoQuery(1, "Title number 1"), PseudoQuery(11, "Title number 11")]
    assert {10, 30}.isdisjoint(query.row for query in found)  # nothing to ask; a repeat
    texts = [query.text.lower() for query in found]
    assert len(set(texts)) == len(texts)
    assert max(query.row for query in found) > 900  # spread over the corpus, not its start
    assert query_text(Paper("x", "word " * 100, "")) == " ".join(["word"] * 32)


def test_a_pseudo_query_is_scored_without_its_own_paper(
    sample_index: Snapshot, encoder: Encoder
) -> None:
    """FAISS against numpy: the best cosine among the other papers, less the mean of all."""
    queries = pseudo_queries(sample_index.papers.get, range(sample_index.size), 5)
    ours = pseudo_query_standouts(sample_index.dense, queries, encoder)
    vectors = sample_index.dense.vectors(np.arange(sample_index.size))
    for query, standout in zip(queries, ours, strict=True):
        cosines = vectors @ encoder.encode_documents([query.text])[0]
        others = np.delete(cosines, query.row)
        assert standout == pytest.approx(others.max() - cosines.mean(), abs=1e-5)
        assert cosines.argmax() == query.row  # its own paper would have been the best


def test_a_tiny_corpus_keeps_the_default(tmp_path: Path, encoder: Encoder) -> None:
    corpus = write_jsonl(tmp_path / "tiny.jsonl", demo_records(20))
    report = build_index([corpus], tmp_path / "index", encoder=encoder)
    cue = Snapshot.load(tmp_path / "index").manifest.cue
    assert cue is not None and report.cue == cue
    assert (cue.method, cue.threshold, cue.queries) == ("default", DEFAULT_THRESHOLD, 0)
    assert cue.reason == "20 papers with a title, fewer than 100"


def test_shipped_embeddings_bring_their_threshold(tmp_path: Path, encoder: Encoder) -> None:
    """The demo ships its calibrated threshold with its embeddings: a first start encodes no
    titles. A build whose precomputed embeddings do not fit calibrates (or falls back) itself."""
    shipped = demo_embeddings().cue
    assert shipped is not None and shipped.method == "pseudo-queries"
    assert shipped.documents == len(demo_records()) and shipped.queries == MAX_QUERIES
    records = demo_records(20)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    codes = int8_codes(encoder.encode_documents([paper_from_record(r).text for r in records]))
    build_index([corpus], tmp_path / "a", encoder=encoder,
                precomputed=Precomputed(codes, encoder.name, shipped))  # fmt: skip
    assert Snapshot.load(tmp_path / "a").manifest.cue == shipped
    build_index([corpus], tmp_path / "b", encoder=encoder,
                precomputed=Precomputed(codes[::-1], encoder.name, shipped))  # fmt: skip
    cue = Snapshot.load(tmp_path / "b").manifest.cue
    assert cue is not None and cue.method == "default"


def test_compaction_calibrates_again_on_the_corpus_as_it_is(
    tmp_path: Path, sample_index_folder: Path, encoder: Encoder
) -> None:
    folder = tmp_path / "index"
    shutil.copytree(sample_index_folder, folder)
    live = LiveIndex(folder)
    before = live.index.manifest.cue
    assert before is not None
    added = [paper_from_record({**r, "id": f"new-{r['id']}"}) for r in demo_records(60)[::2]]
    live.upsert(added, encoder)
    live.delete([live.index.papers.id_of(row) for row in range(40)])
    live.compact()  # with the upsert's encoder
    after = live.index.manifest.cue
    assert after is not None and after.method == "pseudo-queries"
    assert after.documents == before.documents + 30 - 40 == live.index.size
    assert after.queries == live.index.size  # every title, fewer than MAX_QUERIES
    live.close()


def test_compact_calibrates_an_index_built_before_indexes_did(
    tmp_path: Path, sample_index_folder: Path, encoder: Encoder
) -> None:
    folder = tmp_path / "index"
    shutil.copytree(sample_index_folder, folder)
    manifest_path = current_generation(folder) / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    calibrated = manifest.pop("cue")
    manifest_path.write_text(json.dumps(manifest))
    live = LiveIndex(folder)
    assert live.index.manifest.cue is None
    live.compact()  # no encoder, nothing pending: nothing to do
    assert live.index.manifest.cue is None
    live.compact(encoder)
    cue = live.index.manifest.cue
    assert cue is not None and cue.threshold == calibrated["threshold"]  # the same corpus
    assert Snapshot.load(folder).manifest.cue == cue
    live.close()
