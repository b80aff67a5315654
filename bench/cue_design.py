"""The match cue's calibration choices, measured: which pseudo-queries, how many, which percentile,
and whether another signal separates better than the standout.

For SciFact and Cranfield (and any BEIR folder given) it computes the standout of every paper's
title searched with its own paper left out (the calibration's pseudo-queries, all of them), of
every judged query, of nonsense and of everyday off-topic strings, and prints:

- the titles' percentiles as thresholds, with the share of real queries and of nonsense below;
- how far a threshold drawn from 200, 500 or 1,000 random titles moves (90% range);
- three-word title fragments and abstracts' first sentences as pseudo-queries instead;
- other signals (the lexical leg's best z-score, the overlap of the legs' top 10, the dense
  z-score) against the standout, as AUC: the chance that a real query scores above a nonsense
  (or off-topic) one.

    python bench/cue_design.py [BEIR_FOLDER ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
from machine import describe
from match_cue import DATA, OFF_TOPIC, RESULTS, judged_queries

from papersift.api.demo import cached_index_folder, ensure_index
from papersift.index.build import BuildOptions
from papersift.index.cue.calibration import pseudo_query_standouts
from papersift.index.cue.nonsense import nonsense
from papersift.index.cue.pseudo_queries import SENTENCE_END, PseudoQuery, pseudo_queries
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from papersift.search.evaluation import load_collection

Values = npt.NDArray[np.float64]
PERCENTILES = (1.0, 1.5, 2.0, 3.0, 5.0)
SAMPLES = (200, 500, 1000)
DRAWS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="more BEIR folders")
    parser.add_argument("--output", type=Path, default=RESULTS / "cue_design.json")
    args = parser.parse_args()
    encoder = Encoder()
    report: dict[str, object] = {"machine": describe()}
    for folder in [DATA / "scifact", DATA / "cranfield", *args.folders]:
        index = open_index(folder)
        queries = pseudo_queries(index.papers.get, range(index.size), index.size)
        titles = np.array(pseudo_query_standouts(index.dense, queries, encoder))
        signals = {
            key: signals_of(index, encoder, texts)
            for key, texts in (
                ("real", judged_queries(folder)),
                ("nonsense", nonsense(400)),
                ("off-topic", OFF_TOPIC),
            )
        }
        real, noise = signals["real"][:, 0], signals["nonsense"][:, 0]
        report[folder.name] = {
            "percentiles": percentile_rows(titles, real, noise),
            "samples": sample_rows(titles, real, noise),
            "shapes": shape_rows(index, encoder, queries, real, noise),
            "signals": auc_rows(signals),
        }
        print_report(folder.name, report[folder.name])  # type: ignore[arg-type]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"\n{describe()}\nwrote {args.output}")


def open_index(folder: Path) -> Snapshot:
    collection = load_collection(folder, "test")
    index = cached_index_folder(collection.corpus, BuildOptions())
    ensure_index(collection.corpus, index)
    return Snapshot.load(index)


def signals_of(index: Snapshot, encoder: Encoder, texts: list[str]) -> Values:
    """Per query: standout, dense z, lexical best z, overlap of the legs' top 10."""
    rows = []
    for text, vector in zip(texts, encoder.encode_documents(texts), strict=True):
        dense = index.dense.top(vector, 10)
        mean, std = dense.mean or 0.0, dense.std or 0.0
        standout = float(dense.scores[0]) - mean
        terms = index.tokenizer.tokenize(text)
        lexical = index.lexical.top(terms, 10, None) if terms else None
        lexical_z, overlap = 0.0, 0.0
        if lexical is not None and len(lexical) and lexical.std:
            lexical_z = (float(lexical.scores[0]) - (lexical.mean or 0.0)) / lexical.std
            overlap = len(set(lexical.rows.tolist()) & set(dense.rows.tolist())) / 10
        rows.append((standout, standout / std if std else 0.0, lexical_z, overlap))
    return np.array(rows)


def below(values: Values, threshold: float) -> float:
    return round(float((values < threshold).mean()), 4)


def percentile_rows(titles: Values, real: Values, noise: Values) -> list[dict[str, float]]:
    rows = []
    for percentile in PERCENTILES:
        threshold = float(np.percentile(titles, percentile, method="lower"))
        rows.append(
            {
                "percentile": percentile,
                "threshold": round(threshold, 4),
                "real": below(real, threshold),
                "nonsense": below(noise, threshold),
            }
        )
    return rows


def sample_rows(titles: Values, real: Values, noise: Values) -> list[dict[str, float]]:
    """The 1.5th percentile of `size` random titles, over many draws: its 90% range."""
    rng = np.random.default_rng(0)
    rows = []
    for size in SAMPLES:
        draws = [
            np.percentile(
                rng.choice(titles, min(size, len(titles)), replace=False), 1.5, method="lower"
            )
            for _ in range(DRAWS)
        ]
        low, high = (float(value) for value in np.percentile(draws, [5, 95]))
        rows.append(
            {
                "size": size,
                "low": round(low, 4),
                "high": round(high, 4),
                "real_at_most": below(real, high),
                "nonsense_at_least": below(noise, low),
            }
        )
    return rows


def shape_rows(
    index: Snapshot, encoder: Encoder, queries: list[PseudoQuery], real: Values, noise: Values
) -> dict[str, dict[str, float]]:
    """Other pseudo-queries from the same 1,000 papers: three title words, a first sentence."""
    chosen = queries[:: max(1, len(queries) // 1000)][:1000]
    shapes = {
        "titles": chosen,
        "three title words": [PseudoQuery(q.row, " ".join(q.text.split()[:3])) for q in chosen],
        "first sentences": [PseudoQuery(q.row, first_sentence(index, q.row)) for q in chosen],
    }
    rows = {}
    for name, shaped in shapes.items():
        values = np.array(pseudo_query_standouts(index.dense, shaped, encoder))
        threshold = float(np.percentile(values, 1.5, method="lower"))
        rows[name] = {
            "threshold": round(threshold, 4),
            "median": round(float(np.median(values)), 4),
            "real": below(real, threshold),
            "nonsense": below(noise, threshold),
        }
    return rows


def first_sentence(index: Snapshot, row: int) -> str:
    paper = index.papers.get(row)
    sentence = SENTENCE_END.split(paper.abstract.strip(), maxsplit=1)[0] or paper.title
    return " ".join(sentence.split()[:32])


def auc_rows(signals: dict[str, Values]) -> dict[str, dict[str, float]]:
    names = ("standout", "dense z", "lexical z", "overlap@10")
    return {
        name: {
            "real > nonsense": auc(signals["real"][:, i], signals["nonsense"][:, i]),
            "real > off-topic": auc(signals["real"][:, i], signals["off-topic"][:, i]),
        }
        for i, name in enumerate(names)
    }


def auc(positive: Values, negative: Values) -> float:
    """The chance that a positive scores above a negative (ties count half)."""
    above = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return round(float(above + ties / 2), 3)


def print_report(name: str, measured: dict[str, object]) -> None:
    print(f"\n{name}: the titles' percentiles as thresholds")
    for row in measured["percentiles"]:  # type: ignore[attr-defined]
        print(
            f"  p{row['percentile']:<4} {row['threshold']:.4f}  real {row['real']:6.1%}  "
            f"nonsense {row['nonsense']:6.1%}"
        )
    print("  the 1.5th percentile of N random titles, 90% range:")
    for row in measured["samples"]:  # type: ignore[attr-defined]
        print(
            f"  N={row['size']:<5} {row['low']:.4f}-{row['high']:.4f}  real at most "
            f"{row['real_at_most']:.1%}, nonsense at least {row['nonsense_at_least']:.1%}"
        )
    print("  other pseudo-queries (1.5th percentile):")
    for shape, row in measured["shapes"].items():  # type: ignore[attr-defined]
        print(
            f"  {shape:<18} {row['threshold']:.4f} (median {row['median']:.3f})  real "
            f"{row['real']:6.1%}  nonsense {row['nonsense']:6.1%}"
        )
    print("  signals, AUC:")
    for signal, row in measured["signals"].items():  # type: ignore[attr-defined]
        print(
            f"  {signal:<11} real > nonsense {row['real > nonsense']:.3f}  "
            f"real > off-topic {row['real > off-topic']:.3f}"
        )


if __name__ == "__main__":
    main()
