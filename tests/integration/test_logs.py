"""The log lines an operator reads: one per event, with request ids, and no secret or full phone number in them,
whoever wrote the line (our code, an exception, httpx)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

import httpx
import pytest
from starlette.testclient import TestClient
from twilio.http import HttpClient
from twilio.http.response import Response

from bot import logs
from bot.channels.sms import TwilioWebhooks
from bot.channels.sms_sender import TwilioSender
from bot.config import Settings
from bot.outbox import Dispatcher, enqueue
from bot.services import makers as maker_service
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv
from tests.fixtures.twilio import AUTH_TOKEN, PUBLIC_URL, inbound_sms, signed

BOT_TOKEN = "7012345678:AAFq3xYzT0kEnS3cr3tV4lu3ForT3st1ngOnly"
WEBHOOK_SECRET = "hook-secret-abc123"
DB_PASSWORD = "pg-pa55word"
MAKER = "+13135550101"  # in the demo directory
STRANGER = "+13135559876"
# A full North American number, bare or URL-encoded: what must never reach a log line.
FULL_PHONE = re.compile(r"(\+|%2B)1\d{10}\b", re.IGNORECASE)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path}/makerlink.db",
        telegram_token=BOT_TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        twilio_account_sid="AC" + "3f" * 16,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+13135550100",
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def output(settings):
    buffer = io.StringIO()
    handler = logs.configure(settings, stream=buffer)
    yield buffer
    logging.getLogger().removeHandler(handler)


class AcceptingTwilio(HttpClient):
    """Twilio's answer to Messages.create, without the network."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("tests"), False, None)

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        created = {"sid": "SM" + "5e" * 16, "status": "queued", "num_segments": "1", "to": data["To"]}
        return Response(201, json.dumps(created), {})


def _assert_clean(text: str) -> None:
    for secret in (BOT_TOKEN, AUTH_TOKEN, WEBHOOK_SECRET, DB_PASSWORD, BOT_TOKEN.split(":")[1]):
        assert secret not in text
    assert not FULL_PHONE.search(text), FULL_PHONE.search(text)


def test_a_webhook_and_a_send_log_one_masked_line_each_with_ids(sqlite_db, settings, output):
    maker_service.import_makers(sqlite_db, demo_csv(), "demo")
    hooks = TwilioWebhooks(sqlite_db, load_taxonomy(), auth_token=AUTH_TOKEN, public_url=PUBLIC_URL)
    sid = "SM" + "4b" * 16
    with TestClient(create_app(sqlite_db, twilio=hooks), base_url="http://127.0.0.1:8000") as client:
        post = signed("/twilio/sms", inbound_sms("HELP", sender=STRANGER, sid=sid))
        post["headers"]["X-Request-ID"] = "req-from-proxy-1"
        assert client.post("/twilio/sms", **post).status_code == 200

    with sqlite_db.transaction() as session:
        enqueue(session, channel="sms", address=MAKER, text="hello", purpose="reply", key="log-test")
    sender = TwilioSender(settings, http_client=AcceptingTwilio())
    assert asyncio.run(Dispatcher(sqlite_db, {"sms": sender}).drain()) == 2  # the HELP answer, and "hello"
    lines = output.getvalue().splitlines()
    text = output.getvalue()
    _assert_clean(text)
    handled = [line for line in lines if sid in line and "handled" in line]
    assert handled and "req=req-from-proxy-1" in handled[0]  # the line written in the worker thread too
    assert "+1•••9876" in handled[0]
    access = [line for line in lines if "POST /twilio/sms 200" in line]
    assert len(access) == 1 and access[0].endswith("req=req-from-proxy-1")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO bot\.web POST /twilio/sms 200 ", access[0])
    sent = [line for line in lines if "accepted as SM" + "5e" * 16 in line]
    assert len(sent) == 2 and all("INFO bot.channels.sms_sender" in line for line in sent)
    assert "to +1•••9876" in sent[0] and "to +1•••0101" in sent[1]


def test_exceptions_stay_on_one_line_and_lose_their_secrets(output):
    log = logging.getLogger("bot.test")
    try:
        raise RuntimeError(
            f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage failed for {MAKER} "
            f"(postgresql://makerlink:{DB_PASSWORD}@db/makerlink) token={AUTH_TOKEN}"
        )
    except RuntimeError:
        log.exception("sending failed")
    lines = output.getvalue().splitlines()
    assert len(lines) == 1
    assert "Traceback" in lines[0] and "RuntimeError" in lines[0] and "\\n" in lines[0]
    assert "+1•••0101" in lines[0] and "postgresql://makerlink:•••@db" in lines[0]
    _assert_clean(lines[0])


def test_httpx_request_lines_lose_the_bot_token(output):
    # httpx logs every request URL at INFO; makerlink quiets it, but an operator may turn it up to debug.
    logging.getLogger("httpx").setLevel(logging.INFO)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": True})

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            await client.post(f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage", data={"chat_id": "1"})
            await client.get(f"https://api.twilio.com/2010-04-01/Messages.json?To=%2B13135550101&From={STRANGER}")

    asyncio.run(call())
    text = output.getvalue()
    assert "api.telegram.org/bot•••/sendMessage" in text
    assert "To=%2B1•••0101" in text
    _assert_clean(text)


def test_masking_keeps_what_is_not_secret():
    redact = logs.Redactor([AUTH_TOKEN])
    line = "update 912345678 from chat …0101 at 2026-11-27T14:00:00+00:00: message 42 sent as SM" + "ab" * 16
    assert redact(line) == line
    assert redact("from +447911123456 and +13135550101") == "from +44•••3456 and +1•••0101"
    assert redact(f"auth {AUTH_TOKEN}") == "auth •••"
    # A bot token that is not the configured one (an old one, another bot's) still has a token's shape.
    other = "6098765432:AAH" + "x" * 32
    assert redact(f"GET https://api.telegram.org/bot{other}/getMe") == "GET https://api.telegram.org/bot•••/getMe"
