"""`papersift search` and `papersift eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from papersift.api.cli.options import (
    BackendOption,
    IndexOption,
    JsonOption,
    MilvusCollectionOption,
    MilvusTokenOption,
    MilvusUriOption,
    config_of,
)
from papersift.api.cli.output import print_build, print_result, to_stderr
from papersift.api.demo import cached_index_folder, ensure_index, with_demo
from papersift.api.http.schemas import SearchResponse
from papersift.index.build import BuildOptions
from papersift.search.backends import registry
from papersift.search.evaluation import ModeReport, evaluate, load_collection
from papersift.search.requests import RRF_K, Fusion, Mode, SearchRequest


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    index: IndexOption = None,
    mode: Annotated[Mode, typer.Option(help="Which retrieval to use.")] = Mode.hybrid,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Hits to show.")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Hits to skip (paging).")] = 0,
    fusion: Annotated[
        Fusion, typer.Option(help="Hybrid fusion: zscore, rrf or convex.")
    ] = Fusion.zscore,
    rrf_k: Annotated[float, typer.Option(min=1, help="RRF constant k.")] = RRF_K,
    model: Annotated[
        str | None, typer.Option(help="Embedding model for queries (must be the index's).")
    ] = None,
    json_output: JsonOption = False,
    explain: Annotated[
        bool, typer.Option(help="With --json: each leg's rank and score, as the API's explain.")
    ] = False,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Search an index and print the hits."""
    config = config_of(index, backend, milvus_uri, milvus_token, milvus_collection, model)
    reader = registry.open_backend(with_demo(config, to_stderr)).reader
    request = SearchRequest(query, mode, limit, offset, fusion, rrf_k)
    result = reader.search(request)
    if json_output:  # the API's response, field for field
        typer.echo(SearchResponse.of(result, explain).model_dump_json(indent=2))
    else:
        print_result(result)


def evaluate_collection(
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
            print_build(built, stream_to_stderr=True)
    reader = registry.open_backend(config_of(index)).reader
    reports = evaluate(reader, loaded)
    summary = {report.mode: report.metrics for report in reports}
    if output is not None:
        per_query = {report.mode: report.per_query for report in reports}
        output.write_text(json.dumps({"metrics": summary, "per_query": per_query}, indent=1))
    if json_output:
        typer.echo(json.dumps(summary))
    else:
        _print_reports(f"{loaded.name} ({split}, {len(loaded.queries)} queries)", reports)


def _print_reports(title: str, reports: list[ModeReport]) -> None:
    typer.echo(title)
    typer.echo(f"{'mode':<8} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8}")
    for report in reports:
        values = " ".join(
            f"{report.metrics[name]:>8.4f}" for name in ("ndcg@10", "recall@100", "mrr@10")
        )
        typer.echo(f"{report.mode:<8} {values}")
