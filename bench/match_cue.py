"""The match cue (search/cue.py) on judged collections, each index with its own threshold.

For each collection (SciFact and Cranfield in ../shared/data, and any BEIR folder given on the
command line) it builds or loads the index (cached), which calibrates its threshold from its own
corpus alone (index/cue/calibration.py: its titles as pseudo-queries; no judged query is used),
then searches as a user would (hybrid, limit 1) every judged query, 400 nonsense strings (random
letters, keyboard runs, punctuation, emoji, digits), 40 everyday off-topic strings and the
other collections' queries, and reports the share of each flagged weak: with the index's own
threshold, and with the fixed 0.32 that indexes used before. Targets: at most 5% of real
queries and at least 95% of nonsense flagged on each collection. Prints a table, writes JSON.

    python bench/match_cue.py [BEIR_FOLDER ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import median

from machine import describe

from papersift.api.demo import cached_index_folder, ensure_index
from papersift.index.build import BuildOptions
from papersift.index.cue.nonsense import nonsense
from papersift.index.cue.threshold import DEFAULT_THRESHOLD, CueThreshold
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.live import LiveIndex
from papersift.search.evaluation import load_collection
from papersift.search.requests import Mode, SearchRequest
from papersift.search.searcher import Searcher

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
NONSENSE = 400
OFF_TOPIC = [
    "banana bread recipe", "cheap flights to lisbon", "how to tie a tie",
    "football scores tonight", "best pizza near me", "lyrics of yesterday by the beatles",
    "weather tomorrow in paris", "knitting a scarf for beginners", "used cars for sale",
    "how to train a puppy", "wedding dress ideas", "netflix series to watch",
    "cheap hotels in rome", "how to make sourdough starter", "horoscope for aries",
    "best running shoes 2026", "how to unclog a sink", "birthday gift for my sister",
    "guitar chords for wonderwall", "funny cat videos", "lottery numbers this week",
    "how to fold a fitted sheet", "best beaches in thailand", "chocolate chip cookies",
    "restaurant opening hours sunday", "how to change a car tyre", "minecraft house ideas",
    "who won the world cup", "garden furniture sale", "learn to play chess openings",
    "taylor swift concert tickets", "how to lose belly fat", "pet friendly apartments",
    "vintage sofa for sale", "best coffee machine", "halloween costume ideas",
    "how to write a cover letter", "manchester united transfer news", "yoga for beginners",
    "recipe for lasagna",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="more BEIR folders")
    parser.add_argument("--output", type=Path, default=RESULTS / "match_cue.json")
    args = parser.parse_args()
    folders = [DATA / "scifact", DATA / "cranfield", *args.folders]
    encoder = Encoder()
    queries = {folder.name: judged_queries(folder) for folder in folders}
    collections: dict[str, object] = {}
    rows = []
    for folder in folders:
        searcher = open_calibrated(folder, encoder)
        cue = searcher.index.manifest.cue
        assert cue is not None
        sets = {"real": queries[folder.name], "nonsense": nonsense(NONSENSE),
                "off-topic": OFF_TOPIC}  # fmt: skip
        sets |= {f"{name} queries": texts for name, texts in queries.items() if name != folder.name}
        standouts = {key: standouts_of(searcher, texts) for key, texts in sets.items()}
        measured = measure(cue, standouts)
        collections[folder.name] = measured
        rows.append((folder.name, measured))
        print_collection(folder.name, measured)
    print_summary(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": describe(), "collections": collections}
    args.output.write_text(json.dumps(report, indent=1))
    print(f"\n{describe()}\nwrote {args.output}")


def open_calibrated(folder: Path, encoder: Encoder) -> Searcher:
    """The collection's cached index (built on first use), with its own threshold: an index
    cached before indexes calibrated one is calibrated by `compact`, as `papersift compact`
    does."""
    collection = load_collection(folder, "test")
    index = cached_index_folder(collection.corpus, BuildOptions())
    ensure_index(collection.corpus, index)
    live = LiveIndex(index)
    if live.index.manifest.cue is None:
        live.compact(encoder)
    live.close()
    return Searcher(live.index, encoder)


def judged_queries(folder: Path) -> list[str]:
    """Every query with a judgement in any split."""
    judged: set[str] = set()
    for split in (folder / "qrels").glob("*.tsv"):
        judged |= {line.split("\t")[0] for line in split.read_text().splitlines()[1:]}
    texts: list[str] = []
    for path in sorted(folder.glob("queries*.jsonl")):
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        texts += [record["text"] for record in records if record["_id"] in judged]
    return list(dict.fromkeys(texts))


def standouts_of(searcher: Searcher, texts: list[str]) -> list[float]:
    """Each query's standout, searched as a user would (hybrid, one hit); no dense hit: 0."""
    values = []
    for text in texts:
        result = searcher.search(SearchRequest(text, Mode.hybrid, limit=1))
        values.append(result.standout if result.standout is not None else 0.0)
    return values


def measure(cue: CueThreshold, standouts: dict[str, list[float]]) -> dict[str, object]:
    return {
        "cue": cue.to_dict(),
        "sets": {
            key: {"count": len(values), "median": round(median(values), 4),
                  "flagged": flagged(values, cue.threshold),
                  "flagged_at_default": flagged(values, DEFAULT_THRESHOLD)}
            for key, values in standouts.items()
        },
    }  # fmt: skip


def flagged(values: list[float], threshold: float) -> float:
    return round(sum(value < threshold for value in values) / len(values), 4)


def print_collection(name: str, measured: dict[str, object]) -> None:
    cue = measured["cue"]
    assert isinstance(cue, dict)
    print(f"\n{name}: threshold {cue['threshold']:.4f} ({cue['method']}, {cue['queries']} "
          f"pseudo-queries, percentile {cue['percentile']}; "
          f"{cue['documents']} papers)")  # fmt: skip
    print(f"{'set':<20} {'count':>6} {'median':>7} {'flagged':>8} {'at 0.32':>8}")
    sets = measured["sets"]
    assert isinstance(sets, dict)
    for key, row in sets.items():
        print(f"{key:<20} {row['count']:>6} {row['median']:>7.3f} {row['flagged']:>8.1%} "
              f"{row['flagged_at_default']:>8.1%}")  # fmt: skip


def print_summary(rows: list[tuple[str, dict[str, object]]]) -> None:
    print("\n| collection | threshold | real flagged | nonsense flagged | off-topic flagged |")
    print("|---|---|---|---|---|")
    for name, measured in rows:
        cue, sets = measured["cue"], measured["sets"]
        assert isinstance(cue, dict) and isinstance(sets, dict)
        shares = [sets[key]["flagged"] for key in ("real", "nonsense", "off-topic")]
        cells = " | ".join(f"{share:.1%}" for share in shares)
        print(f"| {name} | {cue['threshold']:.3f} | {cells} |")


if __name__ == "__main__":
    main()
