"""What `papersift sync arxiv` remembers between runs, in `sync/arxiv.json` beside the index
(written whole, fsynced and renamed into place, so a crash leaves the old state or the new).

Per set: the date the next harvest starts from, and the harvest under way if one was interrupted
(its dates, the token for its next page, how far it got). And how the last run ended.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papersift.index.papers.oai import Page
from papersift.index.storage.generations import fsync_folder

STATE_FILE = Path("sync") / "arxiv.json"
VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SyncState:
    """The state file of one index's arXiv harvests."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self.data = self._read()

    def harvest(self, set_spec: str | None, start: str | None, until: str | None) -> dict[str, Any]:
        """The set's harvest to run: the interrupted one (unless other dates are asked for),
        else a new one from `start` or from where the last full harvest began."""
        entry = self._entry(set_spec)
        current = entry.get("harvest")
        asked = start is not None or until is not None
        if current is None or (asked and (current["from"], current["until"]) != (start, until)):
            current = {"from": start or entry.get("next_from"), "until": until, "token": None,
                       "pages": 0, "response_date": None}  # fmt: skip
            entry["harvest"] = current
            self._write()
        return dict(current)

    def page_done(self, set_spec: str | None, page: Page) -> None:
        """A page's changes are durable: remember the token for the next one."""
        current = self._entry(set_spec)["harvest"]
        current["token"] = page.token
        current["pages"] += 1
        current["response_date"] = current["response_date"] or page.response_date[:10] or None
        self._write()

    def restart(self, set_spec: str | None) -> None:
        """The token expired: the harvest starts again from its first date."""
        self._entry(set_spec)["harvest"]["token"] = None
        self._write()

    def harvest_done(self, set_spec: str | None) -> None:
        """The set is harvested to its end: the next run starts from the day this one began."""
        entry = self._entry(set_spec)
        current = entry.pop("harvest")
        began = current["response_date"] or datetime.now(UTC).date().isoformat()
        if current["until"]:
            began = min(began, current["until"])
        entry["next_from"] = max(began, entry.get("next_from") or "")
        self._write()

    def started(self, endpoint: str) -> None:
        self.data["last_run"] = {"started_at": now_iso(), "endpoint": endpoint, "ended_at": None}
        self._write()

    def ended(self, report: dict[str, Any], error: str | None) -> None:
        run = self.data.setdefault("last_run", {})
        run.update(ended_at=now_iso(), report=report, error=error)
        self._write()

    @property
    def last_run(self) -> dict[str, Any] | None:
        run: dict[str, Any] | None = self.data.get("last_run")
        return run

    def _entry(self, set_spec: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = self.data["sets"].setdefault(set_spec or "", {})
        return entry

    def _read(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {"version": VERSION, "sets": {}}
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with staging.open("w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, self.path)
        fsync_folder(self.path.parent)


def last_sync(folder: Path) -> dict[str, Any] | None:
    """How the index's last sync ended, if it ever ran (for `/api/stats`)."""
    return SyncState(folder).last_run if (folder / STATE_FILE).is_file() else None
