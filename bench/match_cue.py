"""Calibrates the match cue (search/cue.py) on real judged queries against nonsense.

For each collection in ../shared/data (SciFact, Cranfield) it computes the standout (the best
paper's cosine less the corpus's mean cosine with the query) of every judged query, of 400
nonsense strings (random letters, keyboard runs, punctuation, emoji, digits), of 40 everyday
off-topic strings and of the other collection's queries (a real question from another field).
It prints the share of each set flagged weak at a sweep of thresholds, and writes JSON.

    python bench/match_cue.py
"""

from __future__ import annotations

import argparse
import json
import random
import string
from pathlib import Path
from statistics import median

from machine import describe

from papersift.api.demo import cached_index_folder, ensure_index
from papersift.index.build import BuildOptions
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from papersift.search.cue import STANDOUT_THRESHOLD
from papersift.search.evaluation import load_collection
from papersift.search.requests import Mode, SearchRequest
from papersift.search.searcher import Searcher

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
THRESHOLDS = [round(0.20 + 0.01 * step, 2) for step in range(26)]
KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
EMOJI = "😀😂🤔🙈🚀🔥🍕🎉🐱🌈👍💡🥑🎸⚽🌍"
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


def nonsense(count: int, seed: int = 7) -> list[str]:
    """Strings no reader would mean as a question, of the kinds seen typed into search boxes."""
    rng = random.Random(seed)
    kinds = [_words, _keyboard, _punctuation, _emoji, _digits, _mixed]
    return [kinds[i % len(kinds)](rng) for i in range(count)]


def _words(rng: random.Random) -> str:  # zxqv blorf
    return " ".join(_letters(rng, rng.randint(3, 7)) for _ in range(rng.randint(1, 3)))


def _letters(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=length))


def _keyboard(rng: random.Random) -> str:  # asdfgh
    row, start = rng.choice(KEYBOARD), rng.randint(0, 3)
    return row[start : start + rng.randint(4, 8)]


def _punctuation(rng: random.Random) -> str:  # ???
    return "".join(rng.choices("?!.,;:-*#&%$@", k=rng.randint(1, 5)))


def _emoji(rng: random.Random) -> str:
    return "".join(rng.choices(EMOJI, k=rng.randint(1, 4)))


def _digits(rng: random.Random) -> str:
    return "".join(rng.choices(string.digits, k=rng.randint(2, 8)))


def _mixed(rng: random.Random) -> str:  # x7Qp2LmZ
    return "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(6, 14)))


def standouts(searcher: Searcher, queries: list[str]) -> list[float]:
    values = []
    for text in queries:
        result = searcher.search(SearchRequest(text, Mode.dense, limit=1))
        values.append(result.standout if result.standout is not None else 0.0)
    return values


def flagged(values: list[float], threshold: float) -> float:
    return sum(value < threshold for value in values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RESULTS / "match_cue.json")
    args = parser.parse_args()
    encoder = Encoder()
    names = ("scifact", "cranfield")
    queries = {name: _judged_queries(name) for name in names}
    report: dict[str, object] = {"machine": describe(), "threshold": STANDOUT_THRESHOLD}
    for name in names:
        collection = load_collection(DATA / name, "test")
        folder = cached_index_folder(collection.corpus, BuildOptions())
        ensure_index(collection.corpus, folder)
        searcher = Searcher(Snapshot.load(folder), encoder)
        other = next(n for n in names if n != name)
        sets = {
            "real": standouts(searcher, queries[name]),
            "nonsense": standouts(searcher, nonsense(400)),
            "off-topic": standouts(searcher, OFF_TOPIC),
            f"{other} queries": standouts(searcher, queries[other]),
        }
        report[name] = {
            key: {"count": len(values), "median": median(values),
                  "flagged": {str(t): flagged(values, t) for t in THRESHOLDS}}
            for key, values in sets.items()
        }  # fmt: skip
        print_table(name, sets)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"\n{describe()}\nwrote {args.output}")


def _judged_queries(name: str) -> list[str]:
    """Every query with a judgement in any split."""
    judged: set[str] = set()
    for split in (DATA / name / "qrels").glob("*.tsv"):
        judged |= {line.split("\t")[0] for line in split.read_text().splitlines()[1:]}
    lines = (DATA / name / "queries.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return [record["text"] for record in records if record["_id"] in judged]


def print_table(name: str, sets: dict[str, list[float]]) -> None:
    print(f"\n{name}: share flagged weak (standout below the threshold)")
    print(f"{'threshold':>9} " + " ".join(f"{key:>16}" for key in sets))
    for threshold in THRESHOLDS:
        mark = " <" if threshold == STANDOUT_THRESHOLD else ""
        cells = " ".join(f"{flagged(values, threshold):>16.1%}" for values in sets.values())
        print(f"{threshold:>9.2f} {cells}{mark}")
    print(f"{'median':>9} " + " ".join(f"{median(v):>16.3f}" for v in sets.values()))


if __name__ == "__main__":
    main()
