"""Keep an index current with arXiv: harvest new and changed records over OAI-PMH and write them
through the backend's one write path.

Each set is harvested from the day its last full harvest started (OAI-PMH dates are inclusive at
day granularity, so that day is read again; papers that did not change are not written). Every
page is applied before the next is asked for, and only then recorded in the state file, with the
token for the next page: a harvest killed at any point resumes from the last page it recorded,
and a page applied but not recorded is read again and found unchanged. A token the repository no
longer knows (arXiv's expire daily) restarts that harvest from its first date.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papersift.index.encoding.encoder import Encoder
from papersift.index.papers.arxiv_metadata import arxiv_id, arxiv_record
from papersift.index.papers.limits import Limited
from papersift.index.papers.oai import BadResumptionTokenError, HarvestError, OaiHarvester, Page
from papersift.index.papers.paper import Paper
from papersift.index.papers.records import RecordError, read_paper
from papersift.search.backends.interface import Backend, Writer
from papersift.search.sync_state import SyncState

logger = logging.getLogger(__name__)

ARXIV_ENDPOINT = "https://oaipmh.arxiv.org/oai"
METADATA_PREFIX = "arXiv"
EXAMPLES_KEPT = 5


@dataclass(frozen=True)
class SyncRequest:
    """What to harvest: sets (None: everything), an optional date range, where, how politely."""

    sets: tuple[str | None, ...] = (None,)
    start: str | None = None  # from this date (default: where the last harvest of a set began)
    until: str | None = None
    endpoint: str = ARXIV_ENDPOINT
    delay: float = 3.0


@dataclass
class SyncReport:
    """What a sync did."""

    added: int = 0
    replaced: int = 0
    deleted: int = 0
    unchanged: int = 0
    records: int = 0
    pages: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    cut: Counter[str] = field(default_factory=Counter)  # fields cut to their limits
    dropped: Counter[str] = field(default_factory=Counter)  # fields over their limits, removed
    examples: list[str] = field(default_factory=list)  # identifiers of the first skipped records
    seconds: float = 0.0

    def skip(self, identifier: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(f"{identifier or '(no identifier)'}: {reason}")

    def limited(self, limited: Limited) -> None:
        """Count what a paper lost to the field limits."""
        self.cut.update(str(limit) for limit in limited.cut)
        self.dropped.update(str(limit) for limit in limited.dropped)

    def summary(self) -> str:
        skipped = ", ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
        limits = "".join(f", cut {count} {name}" for name, count in self.cut.most_common())
        limits += "".join(f", dropped {n} {name}" for name, n in self.dropped.most_common())
        return (
            f"{self.records} records in {self.pages} pages: added {self.added}, replaced "
            f"{self.replaced}, deleted {self.deleted}, unchanged {self.unchanged}, skipped "
            f"{sum(self.skipped.values())}{f' ({skipped})' if skipped else ''}{limits}; "
            f"{self.seconds:.1f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "replaced": self.replaced, "deleted": self.deleted,
                "unchanged": self.unchanged, "records": self.records, "pages": self.pages,
                "skipped": dict(self.skipped), "cut": dict(self.cut),
                "dropped": dict(self.dropped), "seconds": round(self.seconds, 1)}  # fmt: skip


Progress = Callable[[SyncReport], None]


class ArxivSync:
    """Harvests arXiv into one backend; its state lives in `state_folder`."""

    def __init__(
        self,
        backend: Backend,
        encoder: Encoder,
        state_folder: Path,
        harvester: Callable[[str, float], OaiHarvester] = OaiHarvester,
    ) -> None:
        if backend.writer is None:
            raise RecordError("this index cannot be changed, so it cannot be synced")
        self.backend = backend
        self.writer: Writer = backend.writer
        self.encoder = encoder
        self.state = SyncState(state_folder)
        self.harvester = harvester

    def run(self, request: SyncRequest, progress: Progress | None = None) -> SyncReport:
        """Harvest every set of `request`; the state says how it ended, even when it fails."""
        report = SyncReport()
        started = time.perf_counter()
        self.state.started(request.endpoint)
        try:
            for set_spec in request.sets:
                self._sync_set(request, set_spec, report, progress)
        except HarvestError as error:
            report.seconds = time.perf_counter() - started
            self.state.ended(report.to_dict(), str(error))
            raise HarvestError(
                f"{error}; kept what was harvested ({report.summary()}); run again to resume"
            ) from error
        except BaseException as error:
            report.seconds = time.perf_counter() - started
            self.state.ended(report.to_dict(), f"{type(error).__name__}: {error}")
            raise
        report.seconds = time.perf_counter() - started
        self.state.ended(report.to_dict(), None)
        return report

    def _sync_set(
        self,
        request: SyncRequest,
        set_spec: str | None,
        report: SyncReport,
        progress: Progress | None,
    ) -> None:
        harvest = self.state.harvest(set_spec, request.start, request.until)
        harvester = self.harvester(request.endpoint, request.delay)
        try:
            for page in self._pages(harvester, harvest, set_spec):
                self._apply(page, report)
                report.pages += 1
                self.state.page_done(set_spec, page)
                if progress is not None:
                    progress(report)
        finally:
            harvester.close()
        self.state.harvest_done(set_spec)

    def _pages(self, harvester: OaiHarvester, harvest: dict[str, Any], set_spec: str | None) -> Any:
        token = harvest.get("token")
        try:
            yield from harvester.pages(METADATA_PREFIX, set_spec, harvest["from"],
                                       harvest["until"], token)  # fmt: skip
        except BadResumptionTokenError:
            if not token:
                raise
            logger.warning("the resumption token expired: harvesting %s again from %s",
                           set_spec or "everything", harvest["from"])  # fmt: skip
            self.state.restart(set_spec)
            yield from harvester.pages(METADATA_PREFIX, set_spec, harvest["from"], harvest["until"])

    def _apply(self, page: Page, report: SyncReport) -> None:
        """Write the page's changes: new and revised papers in one upsert, then deletes."""
        latest: dict[str, Paper | None] = {}  # by id, the page's last word (None: deleted)
        for record in page.records:
            report.records += 1
            try:
                if record.deleted:
                    latest[arxiv_id(record.identifier)] = None
                    continue
                limited = read_paper(arxiv_record(record))
            except RecordError as error:
                report.skip(record.identifier, str(error))
                continue
            report.limited(limited)
            paper = limited.paper
            latest.pop(paper.id, None)
            latest[paper.id] = paper
        self._upsert([paper for paper in latest.values() if paper is not None], report)
        self._delete([doc_id for doc_id, paper in latest.items() if paper is None], report)

    def _upsert(self, papers: Sequence[Paper], report: SyncReport) -> None:
        reader = self.backend.reader
        changed = [paper for paper in papers if reader.paper(paper.id) != paper]
        report.unchanged += len(papers) - len(changed)
        if changed:
            change = self.writer.upsert(changed, self.encoder)
            report.added += len(change.upserted) - len(change.replaced)
            report.replaced += len(change.replaced)

    def _delete(self, doc_ids: Sequence[str], report: SyncReport) -> None:
        if doc_ids:
            report.deleted += len(self.writer.delete(doc_ids).deleted)


def today() -> str:
    return datetime.now(UTC).date().isoformat()
