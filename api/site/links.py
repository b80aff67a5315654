"""Links a paper page offers: arXiv's abstract page and PDF for arXiv ids, the DOI, and a
BibTeX entry to copy."""

from __future__ import annotations

import re
from urllib.parse import quote

from papersift.api.site.latex import readable
from papersift.api.site.taxonomy import is_category
from papersift.index.papers.paper import Paper

# New-style (2503.13111, 2503.13111v2) and old-style (hep-th/9901001) arXiv identifiers.
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
BIBTEX_UNSAFE = re.compile(r"[{}\\]")
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)


def arxiv_links(paper: Paper) -> tuple[str, str] | None:
    """The paper's arXiv abstract page and PDF, when its id is an arXiv id."""
    if not ARXIV_ID.match(paper.id):
        return None
    return f"https://arxiv.org/abs/{paper.id}", f"https://arxiv.org/pdf/{paper.id}"


def doi_link(paper: Paper) -> str | None:
    """The first DOI's link (some records list several, some give a URL or `doi:`)."""
    words = (paper.doi or "").split()
    if not words:
        return None
    doi = DOI_PREFIX.sub("", words[0])
    return f"https://doi.org/{quote(doi, safe='/:;()._-')}"


def bibtex(paper: Paper) -> str:
    """A BibTeX entry: @article with the journal reference when known, else @misc (with the
    arXiv fields for arXiv papers)."""
    first = (paper.authors[0].split() or ["paper"])[-1] if paper.authors else "paper"
    key = re.sub(r"[^A-Za-z0-9]", "", first).lower() + str(paper.year or "")
    key += re.sub(r"[^a-z0-9]", "", readable(paper.title).lower().split(" ")[0])[:12]
    fields = [("title", "{" + _safe(readable(paper.title)) + "}"),
              ("author", _safe(" and ".join(paper.authors)))]  # fmt: skip
    if paper.year:
        fields.append(("year", str(paper.year)))
    if paper.journal_ref:
        fields.append(("journal", _safe(paper.journal_ref)))
    if paper.doi:
        fields.append(("doi", _safe(paper.doi)))
    if arxiv_links(paper):
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        primary = next((code for code in paper.categories if is_category(code)), None)
        if primary:
            fields.append(("primaryClass", primary))
    if paper.url:
        fields.append(("url", _safe(paper.url)))
    kind = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key or 'paper'},\n{body}\n}}"


def _safe(text: str) -> str:
    """Text that cannot break out of a BibTeX field."""
    return BIBTEX_UNSAFE.sub("", text)
