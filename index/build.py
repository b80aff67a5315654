"""Build an index folder from corpus files: load, tokenize, encode, write atomically."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from tqdm import tqdm

from papersift.index.cue.calibration import calibrate
from papersift.index.cue.threshold import CueThreshold
from papersift.index.dense.dense_index import DenseIndex, DenseSettings
from papersift.index.encoding.encoder import DEFAULT_MODEL, Encoder, Vectors
from papersift.index.encoding.precomputed import Precomputed
from papersift.index.encoding.ray import RayEncoding, encode_with_ray
from papersift.index.lexical import BM25Parameters, LexicalIndex
from papersift.index.lexical.tokenizer import Tokenizer, TokenizerSettings
from papersift.index.papers.corpus import LoadReport, load_papers
from papersift.index.papers.paper import Paper
from papersift.index.papers.table import write_papers
from papersift.index.storage.generations import now_iso, prepare_folder, write_generation
from papersift.index.storage.manifest import Manifest, ModelInfo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """Everything that decides how an index is built."""

    model: str = DEFAULT_MODEL
    precision: str = "auto"
    runtime: str = "auto"
    batch_size: int = 32
    tokenizer: TokenizerSettings = field(default_factory=TokenizerSettings)
    bm25: BM25Parameters = field(default_factory=BM25Parameters)
    dense: DenseSettings = field(default_factory=DenseSettings)
    ray: RayEncoding | None = None  # encode through Ray Data instead of in this process


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the CLI summary (any backend)."""

    documents: int
    load: LoadReport
    seconds: float
    encode_seconds: float
    where: str  # the index folder, or a server's collection
    cue: CueThreshold | None = None  # the match cue's threshold it calibrated

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def build_index(
    corpus: Sequence[Path | str],
    folder: Path | str,
    options: BuildOptions | None = None,
    encoder: Encoder | None = None,
    progress: bool = False,
    precomputed: Precomputed | None = None,
) -> BuildReport:
    """Read `corpus`, index it, and atomically make it the current index at `folder`.
    `precomputed` embeddings of the corpus are used where a spot check agrees with them."""
    options = options or BuildOptions()
    started = time.perf_counter()
    prepare_folder(Path(folder))  # a bad target fails now, not after an hour of encoding
    loading = _in_background(_encoder, options) if encoder is None else None
    papers, load_report = load_papers(list(corpus))  # meanwhile (a first load exports the model)
    logger.info("loaded %d papers: %s", len(papers), load_report.summary())
    lexical = _lexical(papers, options, progress)
    encoder = encoder or cast(Future[Encoder], loading).result()
    encode_started = time.perf_counter()
    texts = [paper.text for paper in papers]
    vectors = precomputed.checked(texts, encoder) if precomputed is not None else None
    cue = precomputed.cue if precomputed is not None and vectors is not None else None
    if vectors is None:
        vectors = encode(encoder, texts, options, progress)
    encode_seconds = time.perf_counter() - encode_started
    dense = DenseIndex.build(vectors, options.dense)
    if cue is None:
        cue = calibrate(dense, lambda row: papers[row], range(len(papers)), encoder, now_iso())

    def write_files(staging: Path) -> Manifest:
        write_papers(staging, papers)
        lexical.save(staging)
        dense.save(staging)
        seconds = time.perf_counter() - started
        return _manifest(papers, options, dense.settings, encoder, load_report, seconds, cue)

    generation = write_generation(Path(folder), write_files)
    seconds = time.perf_counter() - started
    where = str(generation.parent)
    return BuildReport(len(papers), load_report, seconds, encode_seconds, where, cue)


def _in_background(
    load: Callable[[BuildOptions], Encoder], options: BuildOptions
) -> Future[Encoder]:
    """`load(options)` on a daemon thread: a build that fails meanwhile exits without waiting."""
    future: Future[Encoder] = Future()

    def run() -> None:
        try:
            future.set_result(load(options))
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name="model-loader", daemon=True).start()
    return future


def _encoder(options: BuildOptions) -> Encoder:
    return Encoder(options.model, options.precision, options.batch_size, options.runtime)


def _lexical(papers: Sequence[Paper], options: BuildOptions, progress: bool) -> LexicalIndex:
    tokenizer = Tokenizer(options.tokenizer)
    token_lists = [
        tokenizer.paper_terms(paper)
        for paper in tqdm(papers, desc="tokenizing", unit="doc", disable=not progress)
    ]
    return LexicalIndex.build(token_lists, options.bm25)


def encode(
    encoder: Encoder, texts: list[str], options: BuildOptions, progress: bool = False
) -> Vectors:
    """The documents' embeddings, here or (with `options.ray`) by a Ray actor pool."""
    if options.ray is None:
        return encoder.encode_documents(texts, progress=progress)
    return encode_with_ray(texts, encoder.name, encoder.runtime, options.ray)


def _manifest(
    papers: Sequence[Paper],
    options: BuildOptions,
    dense: DenseSettings,
    encoder: Encoder,
    load_report: LoadReport,
    seconds: float,
    cue: CueThreshold,
) -> Manifest:
    return Manifest(
        documents=len(papers),
        model=ModelInfo(
            name=encoder.name,
            dimension=encoder.dimension,
            precision=encoder.precision,
            runtime=encoder.runtime,
        ),
        tokenizer=options.tokenizer,
        bm25=options.bm25,
        dense=dense,  # as built: `auto` already resolved to the kind used
        files={},
        created_at=now_iso(),
        build={
            "records_read": load_report.read,
            "records_skipped": load_report.skipped_total,
            "duplicate_ids": load_report.duplicates,
            "seconds": round(seconds, 3),
        },
        cue=cue,
    )
