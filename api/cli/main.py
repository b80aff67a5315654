"""The `papersift` command: build, search, eval, serve.

Errors print one line on stderr and exit 1; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from papersift.api.cli import updates as cli_updates
from papersift.api.cli.milvus import build_milvus, milvus_target
from papersift.api.demo import cached_index_folder, demo_corpus, demo_index_folder, ensure_index
from papersift.api.http.schemas import SearchResponse
from papersift.api.settings import Settings
from papersift.index.build import BuildOptions, BuildReport, build_index
from papersift.index.dense.dense_index import DenseSettings
from papersift.index.encoding.ray import LOCAL as LOCAL_RAY
from papersift.index.encoding.ray import RayEncoding
from papersift.index.errors import IndexLayerError
from papersift.index.storage.live import LiveIndex
from papersift.index.storage.snapshot import PaperIndex
from papersift.search.backends.interface import SearchService
from papersift.search.backends.milvus.reader import MilvusSearcher
from papersift.search.errors import SearchLayerError
from papersift.search.evaluation import evaluate, load_collection
from papersift.search.hits import Hit, SearchRequest, SearchResult
from papersift.search.searcher import Searcher

app = typer.Typer(
    help="papersift: hybrid (BM25 + dense) search over paper abstracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
logger = logging.getLogger("papersift")


class ModeChoice(enum.StrEnum):
    hybrid = "hybrid"
    lexical = "lexical"
    dense = "dense"


class FusionChoice(enum.StrEnum):
    zscore = "zscore"
    rrf = "rrf"
    convex = "convex"


class RuntimeChoice(enum.StrEnum):
    auto = "auto"
    torch = "torch"
    onnx = "onnx"


class BackendChoice(enum.StrEnum):
    local = "local"
    milvus = "milvus"


class DenseKind(enum.StrEnum):
    auto = "auto"
    flat = "flat"
    fp16 = "fp16"
    sq8 = "sq8"
    hnsw = "hnsw"


IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index", "-i", help="Index folder (default: the demo index, built on first use)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BackendOption = Annotated[
    BackendChoice, typer.Option(help="local: an index folder; milvus: a Milvus collection.")
]
MilvusUriOption = Annotated[
    str | None, typer.Option(help="Milvus URI for --backend milvus (or PAPERSIFT_MILVUS_URI).")
]
MilvusTokenOption = Annotated[
    str | None, typer.Option(help="Milvus token (or PAPERSIFT_MILVUS_TOKEN).")
]
MilvusCollectionOption = Annotated[
    str | None, typer.Option(help="Milvus collection alias [default: papersift].")
]


@app.callback()
def configure(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Hybrid search over paper abstracts."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _state["debug"] = debug


_state: dict[str, Any] = {"debug": False}


@app.command()
def build(
    corpus: Annotated[
        list[Path], typer.Argument(help="JSONL, JSONL.gz or CSV files, or BEIR folders.")
    ],
    index: Annotated[
        Path | None, typer.Option("--index", "-i", help="Index folder to write (local backend).")
    ] = None,
    model: Annotated[str, typer.Option(help="Sentence-transformers model name or folder.")] = (
        BuildOptions.model
    ),
    dense: Annotated[
        DenseKind,
        typer.Option(
            help="FAISS index: auto (flat below 50,000 documents, else hnsw), exact float32, "
            "exact over fp16/8-bit vectors, or HNSW."
        ),
    ] = DenseKind.auto,
    batch_size: Annotated[int, typer.Option(min=1, help="Encoding batch size.")] = 32,
    runtime: Annotated[
        RuntimeChoice, typer.Option(help="Encoder runtime (auto: ONNX where installed).")
    ] = RuntimeChoice.auto,
    backend: BackendOption = BackendChoice.local,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="[ADDRESS]",
            help="Encode with Ray Data: alone, a local Ray; with ADDRESS (auto, host:port, "
            "ray://host:port), that cluster.",
        ),
    ] = None,
    ray_actors: Annotated[int, typer.Option(min=1, help="Encoder actors for --ray.")] = 2,
    ray_gpus: Annotated[
        float, typer.Option(min=0, help="GPUs per encoder actor for --ray (0: CPU).")
    ] = 0.0,
) -> None:
    """Build an index from corpus files (replaces any index in the folder atomically)."""
    options = BuildOptions(
        model=model,
        batch_size=batch_size,
        backend=runtime.value,
        dense=DenseSettings(kind=dense.value),
        ray=RayEncoding(ray, ray_actors, gpus_per_actor=ray_gpus) if ray is not None else None,
    )
    if backend == BackendChoice.milvus:
        target = milvus_target(milvus_uri, milvus_token, milvus_collection)
        typer.echo(build_milvus(corpus, target, options))
        return
    if index is None:
        raise typer.BadParameter("--index is required for the local backend", param_hint="--index")
    report = build_index(corpus, index, options, progress=True)
    _print_build(report)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    index: IndexOption = None,
    mode: Annotated[ModeChoice, typer.Option(help="Which retrieval to use.")] = ModeChoice.hybrid,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Hits to show.")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Hits to skip (paging).")] = 0,
    fusion: Annotated[
        FusionChoice, typer.Option(help="Hybrid fusion: zscore, rrf or convex.")
    ] = FusionChoice.zscore,
    rrf_k: Annotated[float, typer.Option(min=1, help="RRF constant k.")] = 60.0,
    model: Annotated[
        str | None, typer.Option(help="Embedding model for queries (must be the index's).")
    ] = None,
    json_output: JsonOption = False,
    explain: Annotated[
        bool, typer.Option(help="With --json: each leg's rank and score, as the API's explain.")
    ] = False,
    backend: BackendOption = BackendChoice.local,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Search an index and print the hits."""
    searcher: SearchService
    if backend == BackendChoice.milvus:
        searcher = MilvusSearcher(milvus_target(milvus_uri, milvus_token, milvus_collection))
    else:
        searcher = Searcher(_open(index), model=model)
    request = SearchRequest(
        query=query,
        mode=mode.value,
        limit=limit,
        offset=offset,
        fusion=fusion.value,
        rrf_k=rrf_k,
    )
    result = searcher.search(request)
    if json_output:  # the API's response, field for field
        typer.echo(SearchResponse.of(result, explain).model_dump_json(indent=2))
    else:
        _print_result(result)


@app.command(name="eval")
def evaluate_command(
    collection: Annotated[Path, typer.Argument(help="BEIR folder (corpus, queries, qrels).")],
    index: Annotated[
        Path | None, typer.Option("--index", "-i", help="Prebuilt index of the corpus.")
    ] = None,
    split: Annotated[str, typer.Option(help="Qrels split to score.")] = "test",
    output: Annotated[
        Path | None, typer.Option(help="Write per-query results to this JSON file.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """nDCG@10, Recall@100 and MRR@10 of each mode on a BEIR collection."""
    loaded = load_collection(collection, split)
    if index is None:
        index = cached_index_folder(loaded.corpus, BuildOptions())
        built = ensure_index(loaded.corpus, index)
        if built is not None:
            _print_build(built, stream_to_stderr=True)
    reports = evaluate(Searcher(_open(index)), loaded)
    summary = {report.mode: report.metrics for report in reports}
    if output is not None:
        per_query = {report.mode: report.per_query for report in reports}
        output.write_text(json.dumps({"metrics": summary, "per_query": per_query}, indent=1))
    if json_output:
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"{loaded.name} ({split}, {len(loaded.queries)} queries)")
    typer.echo(f"{'mode':<8} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8}")
    for report in reports:
        values = " ".join(
            f"{report.metrics[name]:>8.4f}" for name in ("ndcg@10", "recall@100", "mrr@10")
        )
        typer.echo(f"{report.mode:<8} {values}")


@app.command()
def serve(
    index: IndexOption = None,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on [default: 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on [default: 8000].")
    ] = None,
    backend: Annotated[
        BackendChoice | None, typer.Option(help="local or milvus [default: local].")
    ] = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Serve the search page and JSON API (settings also from PAPERSIFT_* variables)."""
    from papersift.api.http.server import run_server

    given = {"index": index, "host": host, "port": port, "milvus_uri": milvus_uri,
             "backend": backend.value if backend else None, "milvus_collection": milvus_collection,
             "milvus_token": SecretStr(milvus_token) if milvus_token else None}  # fmt: skip
    settings = Settings().model_copy(update={k: v for k, v in given.items() if v is not None})
    run_server(settings, say=lambda line: typer.echo(f"papersift: {line}"))


def _open(index: Path | None) -> PaperIndex:
    if index is None:
        index = demo_index_folder()
        report = ensure_index(demo_corpus(), index)
        if report is not None:
            _print_build(report, stream_to_stderr=True)
    return LiveIndex(index).index  # with the update log's changes


def _print_build(report: BuildReport, stream_to_stderr: bool = False) -> None:
    lines = [
        f"indexed {report.documents} papers in {report.seconds:.1f} s "
        f"({report.docs_per_second:.1f} docs/s; encoding {report.encode_seconds:.1f} s)",
        report.load.summary(),
        f"index: {report.generation.parent}",
    ]
    for line in lines:
        typer.echo(line, err=stream_to_stderr)


def _print_result(result: SearchResult) -> None:
    request = result.request
    timing = f"({request.mode}, {result.took_ms:.1f} ms)"
    if not result.hits and result.total:
        typer.echo(f"no more results: this query has {result.total}, so --offset "
                   f"{request.offset} is past the last one {timing}")  # fmt: skip
        return
    if not result.hits:
        typer.echo("no matches: try other words, or --mode dense for meaning-based search")
        return
    typer.echo(
        f"{result.total} results, showing {request.offset + 1}-"
        f"{request.offset + len(result.hits)} {timing}"
    )
    for hit in result.hits:
        typer.echo(_format_hit(hit))


def _format_hit(hit: Hit) -> str:
    paper = hit.paper
    about = ", ".join(str(part) for part in (paper.year, " ".join(paper.categories[:3])) if part)
    legs = "  ".join(
        f"{name} #{leg.rank} ({leg.score:.3f})"
        for name, leg in (("lexical", hit.lexical), ("dense", hit.dense))
        if leg is not None
    )
    lines = [
        f"{hit.rank:>3}. {paper.title}",
        f"     {paper.doc_id}  {about}  score {hit.score:.4f}",
    ]
    if legs:
        lines.append(f"     {legs}")
    return "\n".join(lines)


app.command()(cli_updates.add)
app.command()(cli_updates.delete)
app.command()(cli_updates.compact)


def ray_address_given(argv: list[str]) -> list[str]:
    """`--ray` may stand alone (a local Ray): then give it the value `local` for the parser.

    The next word is taken as its ADDRESS only when it looks like one (`auto`, `local`,
    `host:port`, `ray://...`), so `build --ray corpus.jsonl` still reads a corpus.
    """
    out = list(argv)
    for position, word in enumerate(out):
        if word == "--ray":
            following = out[position + 1] if position + 1 < len(out) else ""
            if not (following in ("auto", LOCAL_RAY) or ":" in following):
                out.insert(position + 1, LOCAL_RAY)
            break
    return out


def main() -> None:
    """Console-script entry point: one readable line and exit 1 on any expected error."""
    sys.argv = ray_address_given(sys.argv)
    try:
        app()  # usage errors are handled by typer itself: a usage line and exit 2
    except (IndexLayerError, SearchLayerError, OSError) as error:
        if _state["debug"]:
            raise
        typer.echo(f"papersift: error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("papersift: interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        if _state["debug"]:
            raise
        typer.echo(f"papersift: unexpected error: {error!r} (--debug shows details)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
