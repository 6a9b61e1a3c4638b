"""A mail catcher for development and tests: a real SMTP server that delivers nowhere.

Every message received is stored as an .eml file (named timestamp + uuid, so names sort
by arrival); a small HTTP server on 127.0.0.1 shows them:

    GET    /messages          JSON list, oldest first: id, from, to (envelope recipients),
                              subject, date, received_at, body_text, body_html;
                              optional filters ?to=<address> and ?subject=<text>
    GET    /messages/<id>     one message as JSON, with its headers
    GET    /messages/<id>.eml the raw message
    DELETE /messages          delete every message (tests start clean)
    GET    /                  an HTML page listing the messages
    GET    /healthz           200 "ok"

    python -m devstack.mailcatcher --smtp-port 1025 --http-port 8025 --dir .local/run/mail
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENVELOPE_FROM = "X-Mailcatcher-Mail-From"
ENVELOPE_TO = "X-Mailcatcher-Rcpt-To"
RECEIVED_AT = "X-Mailcatcher-Received-At"
_ID = re.compile(r"^[0-9TZ]+-[0-9a-f]{32}$")


class MailStore:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._described: dict[str, dict[str, Any]] = {}  # a stored message never changes

    def save(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> str:
        """Store one message with its envelope (prepended as headers); return its id."""
        now = datetime.now(UTC)
        message_id = f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}"
        prefix = (
            f"{ENVELOPE_FROM}: {mail_from}\r\n"
            f"{ENVELOPE_TO}: {', '.join(rcpt_tos)}\r\n"
            f"{RECEIVED_AT}: {now.isoformat()}\r\n"
        ).encode()
        tmp = self.directory / f".{message_id}.tmp"
        tmp.write_bytes(prefix + content)
        tmp.replace(self.directory / f"{message_id}.eml")  # readers never see half a message
        self.summary(message_id)
        return message_id

    def summary(self, message_id: str) -> dict[str, Any] | None:
        """The message as listed, parsed once: kept in memory and beside the message (``.json``),
        so a mail catcher restarted on a full mailbox lists it without parsing every message again."""
        item = self._described.get(message_id)
        if item is not None:
            return item
        sidecar = self.directory / f"{message_id}.json"
        try:
            item = json.loads(sidecar.read_bytes())
        except (OSError, ValueError):
            item = self.describe(message_id)
            if item is None:  # deleted meanwhile
                return None
            tmp = self.directory / f".{message_id}.json.tmp"
            tmp.write_text(json.dumps(item))
            tmp.replace(sidecar)
        self._described[message_id] = item
        return item

    def ids(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("*.eml"))

    def raw(self, message_id: str) -> bytes | None:
        if not _ID.match(message_id):
            return None
        try:
            return (self.directory / f"{message_id}.eml").read_bytes()
        except OSError:
            return None

    def describe(self, message_id: str, with_headers: bool = False) -> dict[str, Any] | None:
        raw = self.raw(message_id)
        if raw is None:
            return None
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        envelope_to = str(message.get(ENVELOPE_TO, ""))
        received_at = str(message.get(RECEIVED_AT, ""))
        date = received_at
        if message.get("Date"):
            try:
                date = parsedate_to_datetime(str(message["Date"])).isoformat()
            except (TypeError, ValueError):
                date = str(message["Date"])
        body_text, body_html = _bodies(message)
        result: dict[str, Any] = {
            "id": message_id,
            "from": str(message.get("From") or message.get(ENVELOPE_FROM, "")),
            "to": [addr for _, addr in getaddresses([envelope_to]) if addr],
            "subject": str(message.get("Subject", "")).strip(),  # a folded header unfolds with a leading space
            "date": date,
            "received_at": received_at,
            "body_text": body_text,
            "body_html": body_html,
        }
        if with_headers:
            result["headers"] = [
                [name, str(value)]
                for name, value in message.items()
                if name not in (ENVELOPE_FROM, ENVELOPE_TO, RECEIVED_AT)
            ]
        return result

    def messages(self, to: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
        found = []
        for message_id in self.ids():
            item = self.summary(message_id)
            if item is None:  # deleted meanwhile
                continue
            if to and to.lower() not in (addr.lower() for addr in item["to"]):
                continue
            if subject and subject.lower() not in item["subject"].lower():
                continue
            found.append(item)
        return found

    def clear(self) -> int:
        self._described.clear()
        count = 0
        for path in self.directory.glob("*.eml"):
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            count += 1
        return count


def _bodies(message: EmailMessage) -> tuple[str, str | None]:
    """The text and HTML bodies, with SMTP's CRLF line ends turned into plain newlines."""
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    body_html = None
    if isinstance(html_part, EmailMessage):
        body_html = html_part.get_content().replace("\r\n", "\n")
    if isinstance(text_part, EmailMessage):
        body_text = text_part.get_content().replace("\r\n", "\n")
    elif body_html is not None:
        body_text = html.unescape(re.sub(r"<[^>]+>", "", body_html))
    else:
        body_text = ""
    return body_text, body_html


class SaveHandler:
    """aiosmtpd handler: accept everything, store it."""

    def __init__(self, store: MailStore):
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        self.store.save(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"


def make_http_handler(store: MailStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "wtgr-mailcatcher/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: Any) -> None:
            body = json.dumps(payload, indent=1).encode()
            self._send(status, body, "application/json")

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            path = url.path.rstrip("/") or "/"
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if path == "/":
                self._send(200, _html_page(store.messages()).encode(), "text/html; charset=utf-8")
            elif path == "/healthz":
                self._send(200, b"ok\n", "text/plain")
            elif path == "/messages":
                self._json(200, store.messages(to=query.get("to"), subject=query.get("subject")))
            elif path.startswith("/messages/") and path.endswith(".eml"):
                raw = store.raw(path[len("/messages/") : -len(".eml")])
                if raw is None:
                    self._json(404, {"error": "no such message"})
                else:
                    self._send(200, raw, "message/rfc822")
            elif path.startswith("/messages/"):
                item = store.describe(path[len("/messages/") :], with_headers=True)
                if item is None:
                    self._json(404, {"error": "no such message"})
                else:
                    self._json(200, item)
            else:
                self._json(404, {"error": "not found"})

        do_HEAD = do_GET  # noqa: N815

        def do_DELETE(self) -> None:  # noqa: N802
            if urlsplit(self.path).path.rstrip("/") == "/messages":
                self._json(200, {"deleted": store.clear()})
            else:
                self._json(404, {"error": "not found"})

    return Handler


def _html_page(messages: list[dict[str, Any]]) -> str:
    rows = []
    for item in reversed(messages):  # newest first for people
        rows.append(
            "<tr><td>{date}</td><td>{sender}</td><td>{to}</td>"
            '<td><a href="/messages/{id}">{subject}</a></td>'
            "<td><pre>{body}</pre></td></tr>".format(
                date=html.escape(item["received_at"][:19].replace("T", " ")),
                sender=html.escape(item["from"]),
                to=html.escape(", ".join(item["to"])),
                id=html.escape(item["id"]),
                subject=html.escape(item["subject"] or "(no subject)"),
                body=html.escape(item["body_text"][:2000]),
            )
        )
    body = "\n".join(rows) or '<tr><td colspan="5">No mail yet.</td></tr>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>WTGR mail catcher</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}"
        "pre{white-space:pre-wrap;margin:0;max-height:12em;overflow:auto}</style></head><body>"
        f"<h1>WTGR mail catcher</h1><p>{len(messages)} message(s). Nothing here was delivered. "
        "JSON at <a href='/messages'>/messages</a>.</p>"
        "<table><tr><th>received (UTC)</th><th>from</th><th>to</th><th>subject</th><th>text</th></tr>"
        f"{body}</table></body></html>"
    )


def serve(smtp_port: int, http_port: int, directory: Path) -> None:
    from aiosmtpd.controller import Controller

    store = MailStore(directory)
    smtp = Controller(
        SaveHandler(store),
        hostname="127.0.0.1",
        port=smtp_port,
        ready_timeout=10,
        enable_SMTPUTF8=True,
        server_hostname="wtgr-mailcatcher",
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", http_port), make_http_handler(store))
    httpd.daemon_threads = True

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    smtp.start()
    print(
        f"mailcatcher: SMTP on 127.0.0.1:{smtp_port}, HTTP on http://127.0.0.1:{http_port}/, "
        f"storing in {directory} (pid {os.getpid()})",
        flush=True,
    )
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        smtp.stop()
        httpd.server_close()
        print("mailcatcher: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.mailcatcher", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where the .eml files go")
    args = parser.parse_args(argv)
    serve(args.smtp_port, args.http_port, args.dir.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
