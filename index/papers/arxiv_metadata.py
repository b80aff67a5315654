"""arXiv's own metadata format (`metadataPrefix=arXiv`, namespace http://arxiv.org/OAI/arXiv/)
as a corpus record, which `paper_from_record` turns into a paper with its dates and references."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from papersift.index.papers.oai import OaiRecord
from papersift.index.papers.records import RecordError

ARXIV = "{http://arxiv.org/OAI/arXiv/}"
OAI_ID_PREFIX = "oai:arXiv.org:"
FIELDS = ("id", "created", "updated", "title", "abstract", "categories", "comments", "doi",
          "journal-ref", "license")  # fmt: skip


def arxiv_id(identifier: str) -> str:
    """`oai:arXiv.org:0806.4129` -> `0806.4129`."""
    return identifier.removeprefix(OAI_ID_PREFIX)


def arxiv_record(record: OaiRecord) -> dict[str, Any]:
    """The record's fields under the names a corpus file would use (`RecordError` when it has
    no arXiv metadata)."""
    metadata = record.metadata
    if metadata is None or metadata.tag != f"{ARXIV}arXiv":
        raise RecordError("no arXiv metadata")
    fields: dict[str, Any] = {name: _text(metadata, name) for name in FIELDS}
    fields["id"] = fields["id"] or arxiv_id(record.identifier)
    fields["authors"] = [
        _author(author) for author in metadata.iterfind(f"{ARXIV}authors/{ARXIV}author")
    ]
    return {name: value for name, value in fields.items() if value}


def _author(author: Element) -> str:
    """`Forenames Keyname Suffix`, as arXiv shows names (`Waldyr A. Rodrigues Jr`)."""
    parts = (_text(author, name) for name in ("forenames", "keyname", "suffix"))
    return " ".join(part for part in parts if part)


def _text(element: Element, name: str) -> str:
    return " ".join((element.findtext(f"{ARXIV}{name}") or "").split())
