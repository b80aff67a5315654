"""A paper as a Milvus entity (its fields, embedding and the text Milvus's BM25 analyses), and
back."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from papersift.index.papers.paper import Paper, safe_url

FIELDS = ["id", "title", "abstract", "authors", "categories", "year", "url"]


def entity_of(paper: Paper, vector: npt.NDArray[np.float32]) -> dict[str, Any]:
    return {
        "id": paper.id, "title": paper.title, "abstract": paper.abstract, "text": paper.text,
        "authors": list(paper.authors), "authors_folded": "\n".join(paper.authors).casefold(),
        "categories": list(paper.categories), "year": paper.year or 0, "url": paper.url or "",
        "dense": vector.astype(np.float32).tolist(),
    }  # fmt: skip


def paper_of(entity: dict[str, Any]) -> Paper:
    return Paper(
        id=str(entity["id"]), title=entity["title"], abstract=entity["abstract"],
        authors=tuple(entity["authors"]), categories=tuple(entity["categories"]),
        year=int(entity["year"]) or None, url=safe_url(entity["url"] or None),
    )  # fmt: skip
