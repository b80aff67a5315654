"""A webhook receiver for tests, run as `python -m tests.helpers.webhook_receiver PORT LOG
FAIL_FIRST`: every POST is appended to LOG as a JSON line (its headers and body, and the status
it got); the first FAIL_FIRST get 500, the rest 200."""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Receiver(BaseHTTPRequestHandler):
    log: Path
    fail_first: int
    seen = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.seen += 1
        status = 500 if Receiver.seen <= self.fail_first else 200
        record = {"status": status, "path": self.path, "headers": dict(self.headers.items()),
                  "body": body.decode("utf-8")}  # fmt: skip
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    port, log, fail_first = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    Receiver.log, Receiver.fail_first = log, fail_first
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
