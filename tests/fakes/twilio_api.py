"""A zero-latency stand-in for Twilio's Messages API that writes down every message it is asked to send.

    python -m tests.fakes.twilio_api PORT LOG_FILE

POST /2010-04-01/Accounts/{AccountSid}/Messages.json (Basic auth, To, From or MessagingServiceSid, Body) answers
201 with a Message resource, as Twilio does, and appends one JSON line {"sid", "to", "from", "service", "body", "t"}
to LOG_FILE with a single write(2), so the load and fault scripts can count each send exactly, even across restarts
of makerlink. GET on the same path lists them, newest first, filtered by To (as makerlink's sender asks before
resending a message whose earlier attempt is uncertain). Unlike Prism it keeps state (distinct SIDs), and unlike
Twilio it answers at once.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import uuid
from email.utils import formatdate
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.segments import count_segments


def _account(request: Request) -> str | None:
    """The account SID of the Basic credentials, when they name the account in the path."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user if user == request.path_params["account"] and password else None


def create_app(log_path: str) -> Starlette:
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def create_message(request: Request):
        account = _account(request)
        if account is None:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        to, body = form.get("To", ""), form.get("Body", "")
        if not to or not body or not (form.get("From") or form.get("MessagingServiceSid")):
            message = "A 'To', a 'Body' and a 'From' or 'MessagingServiceSid' are required."
            return JSONResponse({"code": 21604, "message": message, "status": 400}, status_code=400)
        sid = "SM" + uuid.uuid4().hex
        record = {
            "sid": sid,
            "to": to,
            "from": form.get("From"),
            "service": form.get("MessagingServiceSid"),
            "body": body,
            "t": time.time(),
        }
        os.write(fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        return JSONResponse(_resource(account, record), status_code=201)

    async def list_messages(request: Request):
        account = _account(request)
        if account is None:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        to = request.query_params.get("To")
        size = max(1, min(1000, int(request.query_params.get("PageSize", "50") or 50)))
        found = [r for r in reversed(read_log(log_path)) if to is None or r["to"] == to][:size]
        path = f"/2010-04-01/Accounts/{account}/Messages.json"
        page = {
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
        return JSONResponse(page)

    async def healthz(_request: Request):
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/2010-04-01/Accounts/{account}/Messages.json", create_message, methods=["POST"]),
            Route("/2010-04-01/Accounts/{account}/Messages.json", list_messages, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


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
    import uvicorn

    port, log = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(create_app(log), host="127.0.0.1", port=port, log_level="warning", access_log=False)
