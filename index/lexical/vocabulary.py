"""Terms and their columns in the term-document matrices."""

from __future__ import annotations

import itertools
from collections.abc import Sequence


class Vocabulary:
    """Term -> column. The built terms' table is shared by every later index; terms first seen
    after the build go in a small overlay, so adding papers never copies the whole table."""

    def __init__(
        self,
        built: Sequence[str],
        term_ids: dict[str, int] | None = None,
        added: Sequence[str] = (),
    ) -> None:
        self.built = list(built)
        self.term_ids = term_ids if term_ids is not None else {t: i for i, t in enumerate(built)}
        self.added = list(added)
        self.added_ids = {term: len(self.built) + i for i, term in enumerate(self.added)}

    def __len__(self) -> int:
        return len(self.built) + len(self.added)

    def get(self, term: str) -> int | None:
        term_id = self.term_ids.get(term)
        return term_id if term_id is not None else self.added_ids.get(term)

    def __getitem__(self, term: str) -> int:
        term_id = self.get(term)
        if term_id is None:
            raise KeyError(term)
        return term_id

    def extended(self, token_lists: Sequence[Sequence[str]]) -> Vocabulary:
        """This vocabulary plus the new terms of `token_lists` (itself if there are none)."""
        new = [t for t in dict.fromkeys(itertools.chain(*token_lists)) if self.get(t) is None]
        return Vocabulary(self.built, self.term_ids, self.added + new) if new else self

    def terms(self) -> list[str]:
        return self.built + self.added
