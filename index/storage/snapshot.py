"""A loaded index: manifest, tokenizer, lexical and dense indexes, and the paper store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from papersift.index.dense.dense_index import DenseIndex
from papersift.index.encoding.encoder import BUNDLED_NAMES, Encoder
from papersift.index.errors import IndexCorruptError, ModelMismatchError
from papersift.index.lexical import LexicalIndex
from papersift.index.lexical.tokenizer import Tokenizer
from papersift.index.papers.table import PaperTable
from papersift.index.storage.generations import current_generation, verify_files
from papersift.index.storage.manifest import Manifest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """Everything a search needs from disk, consistent with one manifest."""

    folder: Path
    generation: Path
    manifest: Manifest
    tokenizer: Tokenizer
    lexical: LexicalIndex
    dense: DenseIndex
    papers: PaperTable

    @property
    def size(self) -> int:
        """Papers searchable now (the built ones, plus added, minus deleted)."""
        return self.papers.live_count

    @property
    def pending_changes(self) -> int:
        """Rows added or deleted since the files were written (folded in by compaction)."""
        deleted = 0 if self.papers.live is None else int((~self.papers.live).sum())
        return len(self.papers.added) + deleted

    @classmethod
    def load(cls, folder: Path | str, verify: bool = True) -> Snapshot:
        """Open the current generation at `folder`, checking version, checksums and counts."""
        folder = Path(folder)
        generation = current_generation(folder)
        manifest = Manifest.read(generation)
        if verify:
            verify_files(generation, manifest)
        try:
            lexical = LexicalIndex.load(generation, manifest.bm25)
            dense = DenseIndex.load(generation, manifest.dense)
            papers = PaperTable(generation)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise IndexCorruptError(
                f"{generation}: cannot read index files ({error}); rebuild"
            ) from error
        index = cls(
            folder, generation, manifest, Tokenizer(manifest.tokenizer), lexical, dense, papers
        )
        index._check_counts()
        return index

    def _check_counts(self) -> None:
        counts = {
            "lexical": self.lexical.size,
            "dense": self.dense.size,
            "papers": len(self.papers),
        }
        wrong = {part: count for part, count in counts.items() if count != self.manifest.documents}
        if wrong:
            raise IndexCorruptError(
                f"{self.generation}: manifest says {self.manifest.documents} documents but "
                f"{', '.join(f'{part} has {count}' for part, count in wrong.items())}; rebuild"
            )
        if self.dense.dimension != self.manifest.model.dimension:
            raise IndexCorruptError(f"{self.generation}: dense dimension differs from manifest")

    def check_model_name(self, model: str) -> None:
        """Refuse, before loading anything, a model other than the index's."""
        if not same_model(model, self.manifest.model.name):
            raise ModelMismatchError(
                f"the index at {self.folder} was built with model {self.manifest.model.name!r}; "
                f"queries cannot be embedded with {model!r}: use the index's model or rebuild"
            )

    def check_encoder(self, encoder: Encoder) -> None:
        """Refuse an encoder whose embeddings would not be comparable with the index's."""
        built_with = self.manifest.model
        if (
            not same_model(encoder.name, built_with.name)
            or encoder.dimension != built_with.dimension
        ):
            raise ModelMismatchError(
                f"the index at {self.folder} was built with model {built_with.name!r} "
                f"({built_with.dimension} dims), but queries would be embedded with "
                f"{encoder.name!r} ({encoder.dimension} dims); use the index's model or rebuild"
            )

    def close(self) -> None:
        self.papers.close()


def same_model(first: str, second: str) -> bool:
    """True for two names of the same model (the bundled MiniLM has two usual names)."""
    if first in BUNDLED_NAMES and second in BUNDLED_NAMES:
        return True
    return first.rstrip("/") == second.rstrip("/")
