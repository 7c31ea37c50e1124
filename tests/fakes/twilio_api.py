"""A zero-latency stand-in for Twilio's Messages API that writes down every message it is asked to send.

    python -m tests.fakes.twilio_api PORT LOG_FILE [LATENCY_MS]

POST /2010-04-01/Accounts/{AccountSid}/Messages.json (Basic auth, To, From or MessagingServiceSid, Body) answers
201 with a Message resource, as Twilio does, and appends one JSON line {"sid", "to", "from", "service", "body", "t"}
to LOG_FILE with a single write(2), so the load and fault scripts can count each send exactly, even across restarts
of makerlink. GET on the same path lists them, newest first, filtered by To (as makerlink's sender asks before
resending a message whose earlier attempt is uncertain). Unlike Prism it keeps state (distinct SIDs), and unlike
Twilio it answers at once, unless LATENCY_MS asks it to take that long over each message it is asked to send (a
provider's round trip, spent waiting, not computing).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
import uuid
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from bot.segments import count_segments

MESSAGES = "/2010-04-01/Accounts/{account}/Messages.json"
Answer = tuple[int, object]  # HTTP status, and the JSON (or "ok") it answers with


class FakeTwilio:
    """What the fake answers, apart from HTTP."""

    def __init__(self, log_path: str, latency: float = 0.0) -> None:
        self.log_path = log_path
        self.latency = latency  # seconds before answering a POST
        self.fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        url = urlsplit(target)
        if url.path == "/healthz" and method == "GET":
            return 200, "ok"
        parts = url.path.split("/")  # "", "2010-04-01", "Accounts", account, "Messages.json"
        if len(parts) != 5 or parts[1:3] != ["2010-04-01", "Accounts"] or parts[4] != "Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        account = _account(headers.get("authorization", ""), parts[3])
        if account is None:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if method == "POST":
            return self.create_message(account, dict(parse_qsl(body.decode(), keep_blank_values=True)))
        if method == "GET":
            return 200, self.list_messages(account, dict(parse_qsl(url.query, keep_blank_values=True)))
        return 405, {"code": 20004, "message": "Method not allowed", "status": 405}

    def create_message(self, account: str, form: dict[str, str]) -> Answer:
        to, body = form.get("To", ""), form.get("Body", "")
        if not to or not body or not (form.get("From") or form.get("MessagingServiceSid")):
            message = "A 'To', a 'Body' and a 'From' or 'MessagingServiceSid' are required."
            return 400, {"code": 21604, "message": message, "status": 400}
        record = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": to,
            "from": form.get("From"),
            "service": form.get("MessagingServiceSid"),
            "body": body,
            "t": time.time(),
        }
        os.write(self.fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        return 201, _resource(account, record)

    def list_messages(self, account: str, query: dict[str, str]) -> dict:
        to = query.get("To")
        size = max(1, min(1000, int(query.get("PageSize", "50") or 50)))
        found = [r for r in reversed(read_log(self.log_path)) if to is None or r["to"] == to][:size]
        path = MESSAGES.format(account=account)
        return {
            "messages": [_resource(account, record) for record in found],
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(0, len(found) - 1),
            "uri": f"{path}?PageSize={size}",
            "first_page_uri": f"{path}?PageSize={size}&Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
        }


def _account(authorization: str, account: str) -> str | None:
    """The account SID of the Basic credentials, when they name the account in the path."""
    if not authorization.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
    except ValueError:
        return None
    return user if user == account and password else None


async def serve_connection(fake: FakeTwilio, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 with keep-alive, each answer in one write: a bare server, so that on a shared machine the fake
    costs little of the CPU the measured processes need (uvicorn's pure-Python parser cost as much as a worker's
    own bookkeeping per message)."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            headers = {}
            for line in lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            if fake.latency and method == "POST":
                await asyncio.sleep(fake.latency)
            status, answer = fake.answer(method, target, headers, body)
            text = answer if isinstance(answer, str) else json.dumps(answer)
            kind = "text/plain" if isinstance(answer, str) else "application/json"
            payload = text.encode()
            closing = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            writer.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: {'close' if closing else 'keep-alive'}\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
            if closing:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


async def serve(port: int, log_path: str, latency: float = 0.0) -> None:
    fake = FakeTwilio(log_path, latency)
    server = await asyncio.start_server(
        lambda reader, writer: serve_connection(fake, reader, writer), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def _resource(account: str, record: dict) -> dict:
    """A Message resource as Twilio answers it."""
    sid, body = record["sid"], record["body"]
    created = formatdate(record["t"], usegmt=True)
    return {
        "sid": sid,
        "account_sid": account,
        "to": record["to"],
        "from": record.get("from"),
        "messaging_service_sid": record.get("service"),
        "body": body,
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": str(count_segments(body)),
        "num_media": "0",
        "api_version": "2010-04-01",
        "date_created": created,
        "date_updated": created,
        "date_sent": None,
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
    }


def read_log(log_path: str | os.PathLike) -> list[dict]:
    """Every message the fake was asked to send, in order."""
    try:
        with open(log_path, encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.endswith("\n")]
    except FileNotFoundError:
        return []


if __name__ == "__main__":
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):
        latency_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        asyncio.run(serve(int(sys.argv[1]), sys.argv[2], latency_ms / 1000))
