"""The `papersift` command. Its commands live by job in `indexing`, `searching` and `serving`.

Errors print one line on stderr and exit 1; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from papersift.api.cli import indexing, searching, serving, subscribing
from papersift.api.cli.syncing import sync_app
from papersift.index.encoding.ray import LOCAL as LOCAL_RAY
from papersift.index.errors import IndexLayerError
from papersift.search.errors import SearchLayerError

app = typer.Typer(
    help="papersift: hybrid (BM25 + dense) search over paper abstracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_debug = {"on": False}


@app.callback()
def configure(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Hybrid search over paper abstracts."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _debug["on"] = debug


app.command()(indexing.build)
app.command()(searching.search)
app.command(name="eval")(searching.evaluate_collection)
app.command()(serving.serve)
app.command()(indexing.add)
app.command()(indexing.delete)
app.command()(indexing.compact)
app.add_typer(sync_app, name="sync")
app.command()(subscribing.subscribe)
app.add_typer(subscribing.subscriptions_app, name="subscriptions")
app.command()(subscribing.digest)


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
        if _debug["on"]:
            raise
        typer.echo(f"papersift: error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("papersift: interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        if _debug["on"]:
            raise
        typer.echo(f"papersift: unexpected error: {error!r} (--debug shows details)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
