"""Fusion where one leg is much weaker than the other: two known-item collections of real arXiv
papers, one per direction, scored with each fusion against the better leg alone.

- keywords: 20,000 papers (title + abstract, precomputed embeddings); each of 300 queries is the
  three rarest words of one paper's abstract, and that paper is the answer. BM25 finds it almost
  always; MiniLM, given three unrelated rare words, rarely does (dense is the weak leg).
- hidden: 2,000 papers whose text is the abstract with half of the title's terms removed; each
  query is a title (lexical is the weaker leg). Encodes the 2,000 edited abstracts (~2-3 min).

    python bench/weak_legs.py
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
from arxiv import RESULTS, arxiv_records_cached

from papersift.index.dense.dense_index import DenseIndex, DenseSettings
from papersift.index.encoding.encoder import Encoder
from papersift.index.lexical import BM25Parameters, LexicalIndex
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.paper import Paper
from papersift.search.evaluation import score_run
from papersift.search.fusion import (
    Ranking,
    convex_combination,
    reciprocal_rank_fusion,
    z_score_fusion,
)
from papersift.search.requests import CANDIDATE_DEPTH

QUERIES = 300
Task = tuple[list[Paper], np.ndarray, list[tuple[str, np.ndarray, str]]]  # papers, vectors, queries
FUSIONS: dict[str, Callable[[Ranking, Ranking], Ranking]] = {
    "lexical": lambda lexical, dense: lexical,
    "dense": lambda lexical, dense: dense,
    "rrf k=60": lambda lexical, dense: reciprocal_rank_fusion((lexical, dense)),
    "zscore (default)": lambda lexical, dense: z_score_fusion((lexical, dense)),
    "zscore over candidates": lambda lexical, dense: z_score_fusion(
        (Ranking(lexical.rows, lexical.scores), Ranking(dense.rows, dense.scores))
    ),
    "convex min-max 0.5": lambda lexical, dense: convex_combination((lexical, dense)),
}


def keywords_task(tokenizer: Tokenizer, encoder: Encoder) -> Task:
    papers, vectors = arxiv_records_cached()
    papers, vectors = papers[:20_000], vectors[:20_000]
    frequency = Counter(term for p in papers for term in set(tokenizer.tokenize(p.abstract)))

    def rarity(word: str) -> int:
        terms = tokenizer.tokenize(word)
        return frequency.get(terms[0], 10**9) if terms else 10**9

    queries = []
    for row in random.Random(7).sample(range(len(papers)), QUERIES):
        words = list(dict.fromkeys(re.findall(r"[A-Za-z][A-Za-z-]{3,}", papers[row].abstract)))
        rarest = set(sorted(words, key=rarity)[:3])
        text = " ".join(word for word in words if word in rarest)
        queries.append((text, encoder.encode_query(text), papers[row].id))
    return papers, vectors, queries


def hidden_task(tokenizer: Tokenizer, encoder: Encoder) -> Task:
    records, _ = arxiv_records_cached()
    chosen = [records[row] for row in random.Random(7).sample(range(20_000), 2_000)]
    papers = []
    for paper in chosen:
        hidden = set(sorted(set(tokenizer.tokenize(paper.title)))[::2])
        words = [w for w in paper.abstract.split() if not set(tokenizer.tokenize(w)) & hidden]
        papers.append(Paper(id=paper.id, title="", abstract=" ".join(words)))
    vectors = encoder.encode_documents([paper.text for paper in papers], progress=True)
    queries = [(p.title, encoder.encode_query(p.title), p.id) for p in chosen[:QUERIES]]
    return papers, vectors, queries


def evaluate(task: Task, tokenizer: Tokenizer) -> dict[str, float]:
    papers, vectors, queries = task
    lexical_index = LexicalIndex.build([tokenizer.paper_terms(p) for p in papers], BM25Parameters())
    dense_index = DenseIndex.build(vectors, DenseSettings())
    runs: dict[str, dict[str, dict[str, float]]] = {name: {} for name in FUSIONS}
    qrels = {}
    for number, (text, vector, answer) in enumerate(queries):
        query_id = f"q{number}"
        qrels[query_id] = {answer: 1}
        lexical = lexical_index.top(tokenizer.tokenize(text), CANDIDATE_DEPTH)
        dense = dense_index.top(vector, CANDIDATE_DEPTH)
        for name, fuse in FUSIONS.items():
            rows = fuse(lexical, dense).rows[:100]
            runs[name][query_id] = {papers[r].id: 100.0 - i for i, r in enumerate(rows)}
    return {name: score_run(name, run, qrels).metrics["ndcg@10"] for name, run in runs.items()}


def main() -> None:
    tokenizer, encoder = Tokenizer(), Encoder()
    report = {}
    for name, task in (("keywords", keywords_task), ("hidden", hidden_task)):
        scores = evaluate(task(tokenizer, encoder), tokenizer)
        best = max(scores["lexical"], scores["dense"])
        report[name] = {variant: {"ndcg@10": value, "of_best_leg": value / best}
                        for variant, value in scores.items()}  # fmt: skip
        print(f"\n{name} (nDCG@10, and as a share of the better leg alone)")
        for variant, row in report[name].items():
            print(f"{variant:<24} {row['ndcg@10']:.4f}  {row['of_best_leg']:.3f}")
    output = RESULTS / "weak_legs.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
