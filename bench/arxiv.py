"""Shared by the benchmarks: the 129,735 real arXiv records of ../shared/data/arxiv, their
precomputed MiniLM embeddings, and an index built from both without an hour of encoding."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import sparse

from papersift.index.build import BuildOptions
from papersift.index.dense.dense_index import DenseIndex, DenseSettings
from papersift.index.encoding.encoder import Encoder
from papersift.index.lexical import LexicalIndex
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.corpus import LoadReport, iter_papers
from papersift.index.papers.paper import Paper
from papersift.index.papers.table import write_papers
from papersift.index.storage.generations import now_iso, write_generation
from papersift.index.storage.manifest import Manifest, ModelInfo
from papersift.index.storage.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[1]
ARXIV = ROOT.parent / "shared" / "data" / "arxiv"
RESULTS = ROOT / "bench" / "results"
HELD_BACK = 200  # the last records: their titles are the benchmark queries, never indexed


def arxiv_records() -> tuple[list[Paper], np.ndarray]:
    """Every arXiv record in file order, and its embedding row (float32)."""
    papers: list[Paper] = []
    vectors = []
    for part in sorted(ARXIV.glob("part-*.jsonl.gz")):
        report = LoadReport()
        part_papers = list(iter_papers(part, report))
        assert report.skipped_total == 0, report.summary()
        papers += part_papers
        vectors.append(np.load(ARXIV / "embeddings" / part.name.replace(".jsonl.gz", ".npy")))
    return papers, np.concatenate(vectors).astype(np.float32)


def queries() -> list[str]:
    papers, _ = arxiv_records_cached()
    return [paper.title for paper in papers[-HELD_BACK:]]


_cache: dict[str, tuple[list[Paper], np.ndarray]] = {}


def arxiv_records_cached() -> tuple[list[Paper], np.ndarray]:
    if "all" not in _cache:
        _cache["all"] = arxiv_records()
    return _cache["all"]


def corpus(docs: int) -> tuple[list[Paper], np.ndarray]:
    """`docs` papers: the indexable records, repeated with new ids past 129,535 (noted as such)."""
    papers, vectors = arxiv_records_cached()
    papers, vectors = papers[:-HELD_BACK], vectors[:-HELD_BACK]
    if docs <= len(papers):
        return papers[:docs], vectors[:docs]
    copies = -(-docs // len(papers))
    repeated = [
        replace(paper, id=f"{paper.id}#{copy}") if copy else paper
        for copy in range(copies)
        for paper in papers
    ]
    return repeated[:docs], np.tile(vectors, (copies, 1))[:docs]


def lexical_for(
    papers: list[Paper], unique: int, options: BuildOptions
) -> tuple[LexicalIndex, float]:
    """The lexical index of `papers`, tokenizing only the first `unique` (the rest repeat them)."""
    started = time.perf_counter()
    tokenizer = Tokenizer(options.tokenizer)
    base = LexicalIndex.build([tokenizer.paper_terms(p) for p in papers[:unique]], options.bm25)
    seconds = time.perf_counter() - started
    if len(papers) == unique:
        return base, seconds
    copies = -(-len(papers) // unique)
    matrix = sparse.vstack([base.segments[0]] * copies, format="csr")[: len(papers)].tocsc()
    matrix.sort_indices()
    lengths = np.tile(base.doc_lengths, copies)[: len(papers)]
    return LexicalIndex(base.vocabulary, [matrix], lengths, options.bm25), seconds


def suffix(dense: str) -> str:
    """What result and index names add for a dense kind other than the default."""
    return "" if dense == "auto" else f"-{dense}"


def folder_for(docs: int, dense: str = "auto") -> tuple[Path, BuildOptions]:
    """The cached index folder of `docs` papers with that dense kind, and its build options."""
    return RESULTS / f"index-{docs}{suffix(dense)}", BuildOptions(dense=DenseSettings(kind=dense))


def build_folder(folder: Path, docs: int, options: BuildOptions | None = None) -> Path:
    """Write an index folder for `docs` arXiv papers from the precomputed embeddings (cached)."""
    options = options or BuildOptions()
    marker = folder / "bench.json"
    wanted = {"docs": docs, "options": repr(options)}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return folder
    papers, vectors = corpus(docs)
    unique = min(docs, len(arxiv_records_cached()[0]) - HELD_BACK)
    lexical, _ = lexical_for(papers, unique, options)
    started = time.perf_counter()
    dense = DenseIndex.build(vectors, options.dense)
    seconds = round(time.perf_counter() - started, 1)
    print(f"dense index ({dense.settings.kind}) of {len(papers)} vectors built in {seconds} s",
          file=sys.stderr)  # fmt: skip
    note = folder.parent / f"{folder.name}.dense-build.json"
    folder.parent.mkdir(parents=True, exist_ok=True)
    built = {"docs": docs, "kind": str(dense.settings.kind), "seconds": seconds}
    note.write_text(json.dumps(built))

    def write_files(staging: Path) -> Manifest:
        write_papers(staging, papers)
        lexical.save(staging)
        dense.save(staging)
        model = ModelInfo(name=options.model, dimension=vectors.shape[1], precision="bf16")
        return Manifest(documents=len(papers), model=model, tokenizer=options.tokenizer,
                        bm25=options.bm25, dense=dense.settings, files={}, created_at=now_iso(),
                        build={"source": "bench/arxiv.py, precomputed embeddings"})  # fmt: skip

    write_generation(folder, write_files)
    marker.write_text(json.dumps(wanted))
    return folder


def load(folder: Path) -> Snapshot:
    return Snapshot.load(folder)


def encoder() -> Encoder:
    return Encoder()
