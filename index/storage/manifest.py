"""`manifest.json`: what an index folder holds and how it was built. Written last."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from papersift.index import __version__
from papersift.index.cue.threshold import CueThreshold
from papersift.index.dense.dense_index import DenseSettings
from papersift.index.errors import IndexCorruptError, IndexVersionError
from papersift.index.lexical import BM25Parameters
from papersift.index.lexical.tokenizer import TokenizerSettings

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The embedding model the dense index was built with."""

    name: str
    dimension: int
    precision: str
    text: str = "title + ' ' + abstract"
    runtime: str = "torch"  # (older manifests call it "backend")


@dataclass(frozen=True, slots=True)
class FileInfo:
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Manifest:
    documents: int
    model: ModelInfo
    tokenizer: TokenizerSettings
    bm25: BM25Parameters
    dense: DenseSettings
    files: dict[str, FileInfo]
    created_at: str
    build: dict[str, Any] = field(default_factory=dict)
    # The update log's changes up to this sequence number are folded into these files.
    log_sequence: int = 0
    # The match cue's threshold, calibrated on this corpus at build and compaction (None: an
    # index built before indexes calibrated one, which uses the fixed default).
    cue: CueThreshold | None = None
    format_version: int = FORMAT_VERSION
    package_version: str = __version__

    def bytes_by_part(self) -> dict[str, int]:
        """File bytes grouped by part: the name before the first dot (dense, lexical, papers)."""
        sizes: dict[str, int] = {}
        for name, info in self.files.items():
            part = name.split(".")[0]
            sizes[part] = sizes.get(part, 0) + info.bytes
        return sizes

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_FILE
        if not path.is_file():
            raise IndexCorruptError(
                f"{folder}: no {MANIFEST_FILE} (an unfinished or foreign folder); rebuild the index"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data.get("format_version")
            if version != FORMAT_VERSION:
                raise IndexVersionError(
                    f"{folder}: index format {version}, this papersift reads format "
                    f"{FORMAT_VERSION}; rebuild the index with `papersift build`"
                )
            return cls._from_dict(data)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
            raise IndexCorruptError(
                f"{path}: unreadable manifest ({error}); rebuild the index with `papersift build`"
            ) from error

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            documents=int(data["documents"]),
            model=_model_info(data["model"]),
            tokenizer=TokenizerSettings.from_dict(data["tokenizer"]),
            bm25=BM25Parameters(**data["bm25"]),
            dense=DenseSettings(**data["dense"]),
            files={name: FileInfo(**info) for name, info in data["files"].items()},
            created_at=str(data["created_at"]),
            build=dict(data.get("build", {})),
            log_sequence=int(data.get("log_sequence", 0)),
            cue=CueThreshold.from_dict(data["cue"]) if data.get("cue") else None,
            format_version=int(data["format_version"]),
            package_version=str(data["package_version"]),
        )


def _model_info(data: dict[str, Any]) -> ModelInfo:
    fields = dict(data)
    if "backend" in fields:  # written before "runtime" was the word
        fields["runtime"] = fields.pop("backend")
    return ModelInfo(**fields)
