"""What the commands print: build summaries and search results."""

from __future__ import annotations

import typer

from papersift.index.build import BuildReport
from papersift.search.hits import Hit, SearchResult


def print_build(report: BuildReport, stream_to_stderr: bool = False) -> None:
    lines = [
        f"indexed {report.documents} papers in {report.seconds:.1f} s "
        f"({report.docs_per_second:.1f} docs/s; encoding {report.encode_seconds:.1f} s)",
        report.load.summary(),
        f"index: {report.where}",
    ]
    for line in lines:
        typer.echo(line, err=stream_to_stderr)


def print_result(result: SearchResult) -> None:
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
        typer.echo(format_hit(hit))


def format_hit(hit: Hit) -> str:
    paper = hit.paper
    about = ", ".join(str(part) for part in (paper.year, " ".join(paper.categories[:3])) if part)
    legs = "  ".join(
        f"{name} #{leg.rank} ({leg.score:.3f})"
        for name, leg in (("lexical", hit.lexical), ("dense", hit.dense))
        if leg is not None
    )
    lines = [
        f"{hit.rank:>3}. {paper.title}",
        f"     {paper.id}  {about}  score {hit.score:.4f}",
    ]
    if legs:
        lines.append(f"     {legs}")
    return "\n".join(lines)


def to_stderr(line: str) -> None:
    """Progress and notes, kept apart from a command's output on stdout."""
    typer.echo(line, err=True)
