"""`papersift sync arxiv`: harvest new and changed arXiv papers into an index."""

from __future__ import annotations

from typing import Annotated

import typer
from tqdm import tqdm

from papersift.api.cli.deliveries import deliver_after, listening
from papersift.api.cli.indexing import writable
from papersift.api.cli.options import (
    BackendOption,
    IndexOption,
    MilvusCollectionOption,
    MilvusTokenOption,
    MilvusUriOption,
    config_of,
)
from papersift.index.papers.dates import iso_date
from papersift.search.errors import QueryError
from papersift.search.sync import ARXIV_ENDPOINT, ArxivSync, SyncReport, SyncRequest

sync_app = typer.Typer(help="Keep an index current from a source of papers.", no_args_is_help=True)


@sync_app.command("arxiv")
def sync_arxiv(
    index: IndexOption = None,
    set_spec: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="An arXiv set (cs, physics:astro-ph, ...); repeatable; none: every paper."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Harvest from this date, YYYY-MM-DD (default: where the last "
            "harvest of the set began; everything the first time).",
        ),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Harvest up to this date, YYYY-MM-DD.")] = None,
    endpoint: Annotated[str, typer.Option(help="The OAI-PMH base URL.")] = ARXIV_ENDPOINT,
    delay: Annotated[
        float, typer.Option(min=0, help="Seconds between requests (arXiv asks for 3).")
    ] = 3.0,
    backend: BackendOption = None,
    milvus_uri: MilvusUriOption = None,
    milvus_token: MilvusTokenOption = None,
    milvus_collection: MilvusCollectionOption = None,
) -> None:
    """Harvest new and changed arXiv papers (OAI-PMH) into the index, incrementally."""
    sets = tuple(set_spec or [None])
    request = SyncRequest(sets, _date("--from", start), _date("--until", until), endpoint, delay)
    config = config_of(index, backend, milvus_uri, milvus_token, milvus_collection)
    with writable(config) as opened:
        if opened.state is None:
            needed = "the milvus backend needs PAPERSIFT_STATE_FOLDER for sync"
            raise QueryError("state_folder", needed)
        subscriptions = listening(opened)
        sync = ArxivSync(opened, opened.reader.encoder, opened.state)
        with tqdm(desc="harvesting", unit="record", dynamic_ncols=True) as bar:
            report = sync.run(request, progress=lambda seen: _advance(bar, seen))
        typer.echo(f"synced {opened.reader.stats().index_folder}: {report.summary()}")
        for example in report.examples:
            typer.echo(f"  skipped {example}", err=True)
        deliver_after(subscriptions)


def _advance(bar: tqdm[None], report: SyncReport) -> None:
    bar.update(report.records - bar.n)
    rate = report.added + report.replaced
    bar.set_postfix(pages=report.pages, papers=rate, refresh=False)


def _date(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    date = iso_date(value)
    if date is None or len(date) != 10:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-01", param_hint=option)
    return date
