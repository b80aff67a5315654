"""A small OAI-PMH 2.0 repository serving arXiv-format records, as arXiv's own server lays them
out, for harvesting tests. Run it as a process on a loopback port:

    python -m tests.helpers.oai_server PORT PLAN.json

PLAN.json: {"records": [...], "page_size": 10, "busy_first": 1, "page_seconds": 0,
"response_date": "2026-11-30T12:00:00Z"}. A record: {"id", "datestamp", "title", "abstract",
"created", "updated", "authors": [{"keyname", "forenames", "suffix"}], "categories", "comments",
"doi", "journal-ref", "license"}, or {"id", "datestamp", "deleted": true}, or {"id", "datestamp",
"malformed": true} (arXiv metadata without a title or abstract). `from`/`until` filter on the
datestamp; a resumption token is the query and an offset, as arXiv's are; the first `busy_first`
requests get `503 Retry-After: 1`.

Misbehaviours, for the harvester's bounds: `repeat_token: N` sends the second page's token again
with that page, N times, before going on (a repository that never ends); `drip_first: N` sends
the next N answers `drip_bytes` (30) bytes one at a time, `drip_seconds` (0.3) apart, then the
rest at once; `padding: N` adds an N-byte comment to every page, and `no_length: true` leaves
out `Content-Length` (the body ends when the connection closes).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from xml.sax.saxutils import escape

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
  <responseDate>{date}</responseDate>
  <request verb="ListRecords" metadataPrefix="arXiv">http://127.0.0.1/oai</request>
{body}
</OAI-PMH>
"""
ARXIV_OPEN = (
    '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">'
)
HOSTILE = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&secret;</responseDate>
</OAI-PMH>
"""
FIELDS = ("title", "categories", "comments", "journal-ref", "doi", "license", "abstract")


class Repository:
    """The plan, and how many requests it has answered."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.records: list[dict[str, Any]] = plan["records"]
        self.page_size = int(plan.get("page_size", 10))
        self.busy = int(plan.get("busy_first", 0))
        self.truncated = int(plan.get("truncated_first", 0))  # answers cut in half, after busy
        self.hostile = bool(plan.get("hostile", False))  # answers with an external entity
        self.page_seconds = float(plan.get("page_seconds", 0))
        self.date = str(plan.get("response_date", "2026-11-30T12:00:00Z"))
        self.repeats = int(plan.get("repeat_token", 0))
        self.drip = int(plan.get("drip_first", 0))  # answers dripped, after busy and truncated
        self.drip_bytes = int(plan.get("drip_bytes", 30))
        self.drip_seconds = float(plan.get("drip_seconds", 0.3))
        self.padding = int(plan.get("padding", 0))
        self.no_length = bool(plan.get("no_length", False))
        self.requests = 0

    def answer(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        self.requests += 1
        if self.requests <= self.busy:
            return 503, {"Retry-After": "1"}, "busy"
        time.sleep(self.page_seconds)
        if self.hostile:
            return 200, {}, HOSTILE
        if self.requests <= self.busy + self.truncated:
            whole = self._answer_query(query)
            return 200, {}, whole[: len(whole) // 2]
        return 200, {}, self._answer_query(query)

    def dripping(self) -> bool:
        """Whether the answer just made is to be sent a byte at a time."""
        first = self.busy + self.truncated
        return first < self.requests <= first + self.drip

    def _answer_query(self, query: dict[str, str]) -> str:
        if "resumptionToken" in query:
            query = {key: values[0] for key, values in parse_qs(query["resumptionToken"]).items()}
            if "skip" not in query:
                return self._error("badResumptionToken", "unknown token")
        if query.get("metadataPrefix") != "arXiv":
            return self._error("cannotDisseminateFormat", "only arXiv here")
        return self._list(query)

    def _list(self, query: dict[str, str]) -> str:
        start, until = query.get("from", ""), query.get("until", "9999")
        chosen = [r for r in self.records if start <= r["datestamp"] <= until]
        if not chosen:
            return self._error("noRecordsMatch", "nothing in that range")
        skip = int(query.get("skip", 0))
        page = chosen[skip : skip + self.page_size]
        more = skip + self.page_size < len(chosen)
        rest = {key: query[key] for key in ("metadataPrefix", "from", "until") if key in query}
        following = skip + self.page_size
        if self.repeats and skip == self.page_size:  # the second page points at itself
            self.repeats -= 1
            following = skip
        token = urlencode({**rest, "skip": following}) if more else ""
        body = "".join(_record(record) for record in page)
        body += f"<!-- {'x' * self.padding} -->" if self.padding else ""
        body += f'<resumptionToken expires="2026-12-01T00:00:00Z">{escape(token)}</resumptionToken>'
        return ENVELOPE.format(date=self.date, body=f"<ListRecords>{body}</ListRecords>")

    def _error(self, code: str, message: str) -> str:
        return ENVELOPE.format(date=self.date, body=f'<error code="{code}">{message}</error>')


def _record(record: dict[str, Any]) -> str:
    status = ' status="deleted"' if record.get("deleted") else ""
    header = (f"<header{status}><identifier>oai:arXiv.org:{escape(record['id'])}</identifier>"
              f"<datestamp>{record['datestamp']}</datestamp></header>")  # fmt: skip
    if record.get("deleted"):
        return f"<record>{header}</record>"
    if record.get("malformed"):
        metadata = f"{ARXIV_OPEN}<id>{escape(record['id'])}</id></arXiv>"
        return f"<record>{header}<metadata>{metadata}</metadata></record>"
    parts = [f"<id>{escape(record['id'])}</id>", f"<created>{record['created']}</created>"]
    if record.get("updated"):
        parts.append(f"<updated>{record['updated']}</updated>")
    authors = "".join(_author(author) for author in record.get("authors", []))
    parts.append(f"<authors>{authors}</authors>")
    filled = [name for name in FIELDS if record.get(name)]
    parts += [f"<{name}>{escape(str(record[name]))}</{name}>" for name in filled]
    return f"<record>{header}<metadata>{ARXIV_OPEN}{''.join(parts)}</arXiv></metadata></record>"


def _author(author: dict[str, str]) -> str:
    parts = "".join(f"<{name}>{escape(author[name])}</{name}>"
                    for name in ("keyname", "forenames", "suffix") if author.get(name))  # fmt: skip
    return f"<author>{parts}</author>"


def serve(port: int, plan: dict[str, Any]) -> None:
    repository = Repository(plan)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {key: values[0] for key, values in parse_qs(urlparse(self.path).query).items()}
            status, headers, body = repository.answer(query)
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            if not repository.no_length:
                self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # a harvester that gave up
                if repository.dripping():
                    data = self._drip(data)
                self.wfile.write(data)

        def _drip(self, data: bytes) -> bytes:
            """Send the first bytes one at a time; what is left to send at once."""
            for byte in data[: repository.drip_bytes]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(repository.drip_seconds)
            return data[repository.drip_bytes :]

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the harvester's side."""

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
