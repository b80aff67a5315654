"""Which threshold a search's match cue uses: the `cue_threshold` setting, else the index's own
(calibrated at build), else, for an index built before indexes calibrated one, the default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from papersift.api.settings import Settings, backend_config
from papersift.index.cue.threshold import DEFAULT_THRESHOLD
from papersift.index.encoding.encoder import Encoder
from papersift.index.storage.snapshot import Snapshot
from papersift.search.backends.local import open_backend
from papersift.search.cue import is_weak, threshold_in_force
from papersift.search.requests import Mode, SearchRequest
from papersift.search.searcher import Searcher


def test_a_search_uses_the_index_s_own_threshold(searcher: Searcher) -> None:
    cue = searcher.index.manifest.cue
    assert cue is not None and cue.method == "pseudo-queries"
    result = searcher.search(SearchRequest("zxqv blorf", limit=3))
    assert result.threshold == cue.threshold
    assert result.weak and result.standout is not None and result.standout < cue.threshold
    assert searcher.stats().cue_threshold == cue.threshold


def test_an_index_without_a_threshold_uses_the_default(
    sample_index: Snapshot, encoder: Encoder
) -> None:
    older = dataclasses.replace(
        sample_index, manifest=dataclasses.replace(sample_index.manifest, cue=None)
    )
    result = Searcher(older, encoder).search(SearchRequest("graph neural networks", limit=3))
    assert result.threshold == DEFAULT_THRESHOLD
    assert result.standout is not None and result.weak == (result.standout < DEFAULT_THRESHOLD)


@pytest.mark.parametrize(("fixed", "weak"), [(0.0, False), (1.5, True)])
def test_the_setting_fixes_the_threshold(
    sample_index: Snapshot, encoder: Encoder, fixed: float, weak: bool
) -> None:
    searcher = Searcher(sample_index, encoder, cue_threshold=fixed)
    for query in ("graph neural networks", "zxqv blorf"):
        result = searcher.search(SearchRequest(query, limit=3))
        assert (result.threshold, result.weak) == (fixed, weak)
    lexical = searcher.search(SearchRequest("graph neural networks", Mode.lexical, limit=3))
    assert lexical.standout is None and not lexical.weak  # no meaning leg to judge by
    assert searcher.stats().cue_threshold == fixed


def test_threshold_in_force_and_is_weak_by_hand(sample_index: Snapshot) -> None:
    calibrated = sample_index.manifest.cue
    assert threshold_in_force(None) == DEFAULT_THRESHOLD
    assert threshold_in_force(calibrated) == calibrated.threshold  # type: ignore[union-attr]
    assert threshold_in_force(calibrated, 0.2) == threshold_in_force(None, 0.2) == 0.2
    assert is_weak(0.19, 0.2) and not is_weak(0.2, 0.2) and not is_weak(None, 0.2)


def test_the_setting_reaches_the_local_backend(sample_index_folder: Path) -> None:
    config = backend_config(Settings(index=sample_index_folder, cue_threshold=0.9))
    assert config.cue_threshold == 0.9
    backend = open_backend(config)
    assert backend.reader.stats().cue_threshold == 0.9
    assert backend.writer is not None
    backend.writer.close()
    unset = open_backend(backend_config(Settings(index=sample_index_folder)))
    calibrated = Snapshot.load(sample_index_folder).manifest.cue
    assert calibrated is not None and unset.reader.stats().cue_threshold == calibrated.threshold
