"""A BEIR folder made from another with its corpus and queries lowercased and their stopwords
removed: text shaped as in some public collections (issue #26's nutrition abstracts), to see the
match cue's calibration follow a corpus whose text is shaped differently.

    python bench/beir_lowercased.py ../shared/data/cranfield /tmp/cranfield-lowercased
    python bench/match_cue.py /tmp/cranfield-lowercased
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from papersift.index.lexical.tokenizer import ENGLISH_STOPWORDS

WORD = re.compile(r"\w+")


def lowercased(text: str) -> str:
    return " ".join(w for w in WORD.findall(text.lower()) if w not in ENGLISH_STOPWORDS)


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "qrels", target / "qrels", dirs_exist_ok=True)
    for path in [source / "corpus.jsonl", *sorted(source.glob("queries*.jsonl"))]:
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for record in records:
            for field in ("title", "text"):
                if field in record:
                    record[field] = lowercased(record[field])
        lines = "".join(json.dumps(record) + "\n" for record in records)
        (target / path.name).write_text(lines, encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
