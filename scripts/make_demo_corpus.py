"""Regenerate the demo corpus: real arXiv records sampled from ../shared/data/arxiv, and their
embeddings by the bundled model, shipped so that a first start does not encode them.

    python scripts/make_demo_corpus.py ../shared/data/arxiv api/data

Writes `demo.jsonl.gz` (the arXiv metadata snapshot's field names; arXiv metadata is CC0),
`demo.vectors.npy` (int8 codes of the unit vectors, row for row) and `demo.vectors.json` (the
model, the rows, and the match cue's threshold calibrated on these vectors, so that a first
start encodes no titles either). The sample is deterministic: per primary archive, the records
whose id hashes lowest, up to that archive's share, so every main subject is there and every
month of the source.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index.cue.calibration import calibrate
from papersift.index.cue.threshold import CueThreshold
from papersift.index.dense.dense_index import DenseIndex, DenseSettings
from papersift.index.encoding.encoder import DEFAULT_MODEL, Encoder
from papersift.index.encoding.precomputed import Precomputed, int8_codes
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import paper_from_record
from papersift.index.storage.generations import now_iso

# Papers per primary archive: computer science leads, as in the source, with the physics
# archives and a few others well represented.
SHARES = {
    "cs": 4400, "astro-ph": 1100, "cond-mat": 1000, "quant-ph": 600, "physics": 350,
    "eess": 200, "gr-qc": 120, "hep-ph": 100, "math": 60, "stat": 40, "hep-th": 40,
    "nlin": 30, "q-bio": 30,
}  # fmt: skip


def main(source: Path, target: Path) -> None:
    chosen = choose(source)
    target.mkdir(parents=True, exist_ok=True)
    with gzip.open(target / "demo.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        for record in chosen:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    papers = [paper_from_record(record) for record in chosen]
    encoder = Encoder(DEFAULT_MODEL)
    codes = int8_codes(encoder.encode_documents([paper.text for paper in papers], progress=True))
    np.save(target / "demo.vectors.npy", codes)
    about = {"model": DEFAULT_MODEL, "rows": len(chosen), "text": "title + ' ' + abstract",
             "cue": demo_cue(papers, codes, encoder).to_dict()}  # fmt: skip
    (target / "demo.vectors.json").write_text(json.dumps(about, indent=1) + "\n")
    print(f"wrote {len(chosen)} records and their embeddings to {target}")


def demo_cue(papers: list[Paper], codes: npt.NDArray[np.int8], encoder: Encoder) -> CueThreshold:
    """The match cue's threshold the demo index calibrates, on the vectors as it holds them."""
    vectors = Precomputed(codes, DEFAULT_MODEL).checked([paper.text for paper in papers], encoder)
    assert vectors is not None
    dense = DenseIndex.build(vectors, DenseSettings())
    return calibrate(dense, lambda row: papers[row], range(len(papers)), encoder, now_iso())


def choose(source: Path) -> list[dict[str, Any]]:
    """The sample, in source order."""
    by_archive: dict[str, list[tuple[bytes, int, dict[str, Any]]]] = defaultdict(list)
    position = 0
    for part in sorted(source.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                archive = record["categories"].split()[0].split(".")[0]
                if archive in SHARES:
                    key = hashlib.sha256(record["id"].encode()).digest()
                    by_archive[archive].append((key, position, record))
                position += 1
    picked = [
        entry for archive, entries in by_archive.items()
        for entry in sorted(entries, key=lambda entry: entry[0])[: SHARES[archive]]
    ]  # fmt: skip
    return [record for _, _, record in sorted(picked, key=lambda entry: entry[1])]


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
