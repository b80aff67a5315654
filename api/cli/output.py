"""What the commands print: build summaries and search results."""

from __future__ import annotations

import typer

from papersift.index.build import BuildReport
from papersift.index.cue.threshold import CueThreshold
from papersift.search.hits import Hit, SearchResult


def print_build(report: BuildReport, stream_to_stderr: bool = False) -> None:
    lines = [
        f"indexed {report.documents} papers in {report.seconds:.1f} s "
        f"({report.docs_per_second:.1f} docs/s; encoding {report.encode_seconds:.1f} s)",
        report.load.summary(),
        f"index: {report.where}",
    ]
    if report.cue is not None:
        lines.append(describe_cue(report.cue))
    for line in lines:
        typer.echo(line, err=stream_to_stderr)


def describe_cue(cue: CueThreshold) -> str:
    """One line on the match cue's threshold an index calibrated."""
    if cue.method == "default":
        return f"match cue: the default threshold {cue.threshold:.2f} ({cue.reason})"
    return (
        f"match cue: threshold {cue.threshold:.3f} from {cue.queries} of its titles "
        f"({cue.queries_flagged:.0%} of them below it, {cue.nonsense_flagged or 0:.0%} of "
        f"{cue.nonsense} nonsense strings)"
    )


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
    typer.echo(f"{summary(result)} {timing}")
    for hit in result.hits:
        typer.echo(format_hit(hit))


def summary(result: SearchResult) -> str:
    """The line above the hits: how many there are, or, when none stands out (the match cue),
    that these are only the closest papers, with no count of matches."""
    first, last = result.request.offset + 1, result.request.offset + len(result.hits)
    if not result.weak:
        return f"{result.total} results, showing {first}-{last}"
    if first > 1:
        return f"No strong matches; the closest papers, {first}-{last}"
    closest = "paper" if last == 1 else f"{last} papers"
    return f"No strong matches; the closest {closest}"


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
