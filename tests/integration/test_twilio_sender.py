"""TwilioSender drives the real twilio library: against Prism (Twilio's own OpenAPI description) for what is sent,
and through a stub HTTP client for the error answers Prism cannot give (21610, 63018, 5xx, Retry-After...)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from bot.channels.sms_sender import ApiUrlHttpClient, TwilioSender
from bot.config import ENV_PREFIX, Settings
from bot.outbox import Outgoing, SendError, SendResult
from tests.integration.peers import free_port

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SERVICE_SID = "MG" + "fedcba9876543210" * 2
AUTH_TOKEN = "tok" + "5ecre7" * 5  # distinctive, so a leak anywhere is found
FROM = "+13135550100"
TO = "+13135550123"
PUBLIC_URL = "https://bot.example.org"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No setting from the machine: neither makerlink's nor the twilio library's own (TWILIO_EDGE...)."""
    settings_vars = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name in settings_vars or name.startswith("TWILIO_"):
            monkeypatch.delenv(name)


def settings(**overrides) -> Settings:
    values = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM,
        "public_url": PUBLIC_URL,
    }
    return Settings(_env_file=None, **(values | overrides))


def outgoing(text: str = "A maker near you can take your order.") -> Outgoing:
    return Outgoing(id=42, channel="sms", address=TO, text=text, buttons=None, purpose="invite", attempt=1)


def send(sender: TwilioSender, message: Outgoing | None = None) -> SendResult:
    async def go() -> SendResult:
        try:
            return await sender.send(message or outgoing())
        finally:
            await sender.aclose()

    return asyncio.run(go())


def send_error(sender: TwilioSender) -> SendError:
    with pytest.raises(SendError) as caught:
        send(sender)
    return caught.value


# ── against Prism ──


@pytest.mark.parametrize(
    ("overrides", "origin", "callback"),
    [
        ({}, {"From": FROM}, f"{PUBLIC_URL}/twilio/status"),
        (
            {
                "twilio_from_number": None,
                "twilio_messaging_service_sid": SERVICE_SID,
                "public_url": "https://example.org/makerlink/",
            },
            {"MessagingServiceSid": SERVICE_SID},
            "https://example.org/makerlink/twilio/status",
        ),
    ],
    ids=["from-number", "messaging-service"],
)
def test_sends_through_prism(prism_url, overrides, origin, callback):
    sender = TwilioSender(settings(twilio_api_url=prism_url, **overrides))

    result = send(sender)

    assert result.provider_id is not None and result.provider_id.startswith("SM")
    assert result.segments == 1
    sent = sender.http_client._test_only_last_request
    assert sent is not None and sent.method == "POST"
    url = urlsplit(sent.url)
    assert f"{url.scheme}://{url.netloc}" == prism_url  # rewritten from https://api.twilio.com
    assert url.path == MESSAGES_PATH
    assert dict(parse_qsl(sent.data.decode())) == {
        "To": TO,
        "Body": outgoing().text,
        "StatusCallback": callback,
        **origin,
    }
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sender.http_client._test_only_last_response.status_code == 201


@pytest.mark.parametrize(
    "overrides",
    [
        {"twilio_from_number": None, "twilio_messaging_service_sid": "MG-not-a-sid"},
        {"twilio_account_sid": "AC12345"},
    ],
    ids=["malformed-messaging-service", "malformed-account-sid"],
)
def test_request_prism_rejects_is_a_permanent_failure(prism_url, overrides):
    sender = TwilioSender(settings(twilio_api_url=prism_url, **overrides))

    error = send_error(sender)

    assert sender.http_client._test_only_last_response.status_code == 422  # Prism's own validation
    assert (error.retryable, error.recipient_gone, error.code) == (False, False, "http_422")
    assert "422" in error.reason


def test_regional_host_is_rewritten_to_the_api_url(prism_url, monkeypatch):
    client = ApiUrlHttpClient("http://127.0.0.1:4010")
    regional = f"https://api.sydney.au1.twilio.com{MESSAGES_PATH}?PageSize=20"
    assert client.rewrite(regional) == f"http://127.0.0.1:4010{MESSAGES_PATH}?PageSize=20"
    assert client.rewrite(f"https://api.twilio.com{MESSAGES_PATH}") == f"http://127.0.0.1:4010{MESSAGES_PATH}"
    for other in ("https://example.org/x", "https://nottwilio.com/x", "https://api.twilio.com.example.org/x"):
        assert client.rewrite(other) == other

    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    sender = TwilioSender(settings(twilio_api_url=prism_url))
    assert send(sender).provider_id.startswith("SM")
    assert sender.http_client._test_only_last_request.url == prism_url + MESSAGES_PATH


def test_default_api_url_talks_to_twilio_unchanged():
    sender = TwilioSender(settings())
    assert isinstance(sender.http_client, TwilioHttpClient)  # the twilio client's own, reading the environment once
    assert not isinstance(sender.http_client, ApiUrlHttpClient)  # nothing rewritten
    assert sender.http_client.timeout == 10.0


# ── error answers, through a stub HTTP client ──


class StubHttpClient(HttpClient):
    """Answers every request with one canned response (or raises one exception), and counts the requests."""

    def __init__(self, answer: Response | BaseException) -> None:
        super().__init__(logging.getLogger("tests.twilio_stub"), False, None)
        self.answer = answer
        self.calls = 0

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **_):
        self.calls += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def twilio_error(status: int, code: int, message: str, headers: dict | None = None) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, json.dumps(body), headers or {"Content-Type": "application/json"})


CREDENTIAL_URL = f"https://{ACCOUNT_SID}:{AUTH_TOKEN}@api.twilio.com{MESSAGES_PATH}"


def row(name, answer, *, retryable, code, gone=False, retry_after=None):
    return pytest.param(answer, retryable, gone, code, retry_after, id=name)


ERROR_TABLE = [
    row("stop-21610", twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"), retryable=False,
        gone=True, code="21610"),
    row("invalid-to-21211", twilio_error(400, 21211, f"The 'To' number {TO} is not a valid phone number."),
        retryable=False, code="21211"),
    row("not-mobile-21614", twilio_error(400, 21614, f"'To' number {TO} is not a valid mobile number"),
        retryable=False, code="21614"),
    row("too-many-20429", twilio_error(429, 20429, "Too Many Requests"), retryable=True, code="20429"),
    row("rate-limit-63018", twilio_error(400, 63018, "Rate limit exceeded"), retryable=True, code="63018"),
    row("server-500", twilio_error(500, 20500, "Internal Server Error"), retryable=True, code="20500"),
    row("unavailable-503-html", Response(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}),
        retryable=True, code="http_503"),
    row("429-retry-after", Response(429, "", {"retry-after": "7"}), retryable=True, code="http_429", retry_after=7.0),
    row("20429-retry-after", twilio_error(429, 20429, "Too Many Requests", {"Retry-After": "2.5"}), retryable=True,
        code="20429", retry_after=2.5),
    row("body-missing-21602", twilio_error(400, 21602, "Message body is required."), retryable=False, code="21602"),
    row("bad-credentials-20003", twilio_error(401, 20003, "Authenticate"), retryable=False, code="20003"),
    row("read-timeout", requests.exceptions.ReadTimeout(f"Read timed out: {CREDENTIAL_URL}"), retryable=True,
        code="timeout"),
    row("connect-timeout", requests.exceptions.ConnectTimeout(CREDENTIAL_URL), retryable=True, code="timeout"),
    row("connection-refused", requests.exceptions.ConnectionError(f"Max retries exceeded: {CREDENTIAL_URL}"),
        retryable=True, code="connection"),
    row("socket-timeout", TimeoutError("timed out"), retryable=True, code="timeout"),
    row("connection-reset", ConnectionResetError(104, "Connection reset by peer"), retryable=True, code="connection"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "retryable", "gone", "code", "retry_after"), ERROR_TABLE)
def test_error_answers_are_sorted(caplog, answer, retryable, gone, code, retry_after):
    caplog.set_level(logging.DEBUG)
    stub = StubHttpClient(answer)

    error = send_error(TwilioSender(settings(), http_client=stub))

    assert (error.retryable, error.recipient_gone, error.code, error.retry_after) == (
        retryable,
        gone,
        code,
        retry_after,
    )
    assert stub.calls == 1  # never retried inside the sender: a repeated POST can send the SMS twice
    assert error.reason and len(error.reason) <= 250
    for secret in (AUTH_TOKEN, CREDENTIAL_URL, TO, TO[2:]):
        assert secret not in error.reason
        assert secret not in caplog.text
    assert "+1•••0123" in caplog.text  # the log names the recipient by country code and last 4 digits


def test_segments_and_an_unreadable_success():
    created = {"sid": "SM" + "1" * 32, "status": "queued", "num_segments": "3", "to": TO}
    stub = StubHttpClient(Response(201, json.dumps(created), {}))
    assert send(TwilioSender(settings(), http_client=stub)) == SendResult("SM" + "1" * 32, segments=3)

    stub = StubHttpClient(Response(201, json.dumps(created | {"num_segments": None}), {}))
    assert send(TwilioSender(settings(), http_client=stub)).segments is None

    # Twilio took it but the answer is garbled: sending again would double the SMS, so it counts as sent.
    stub = StubHttpClient(Response(201, "<html>ok</html>", {}))
    assert send(TwilioSender(settings(), http_client=stub)) == SendResult(provider_id=None)


# ── the real HTTP client's limits, on 127.0.0.1 ──


def test_nothing_listening_is_a_retryable_connection_error():
    sender = TwilioSender(settings(twilio_api_url=f"http://127.0.0.1:{free_port()}"))
    error = send_error(sender)
    assert (error.retryable, error.code) == (True, "connection")


def test_a_silent_server_times_out_once_without_a_second_post():
    connections: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(5)

        def accept_and_say_nothing() -> None:
            try:
                while True:
                    conn, _ = server.accept()
                    connections.append(conn)
            except OSError:
                return

        threading.Thread(target=accept_and_say_nothing, daemon=True).start()
        port = server.getsockname()[1]
        error = send_error(TwilioSender(settings(twilio_api_url=f"http://127.0.0.1:{port}"), timeout=0.5))
    for conn in connections:
        conn.close()
    assert (error.retryable, error.code) == (True, "timeout")
    assert len(connections) == 1


# ── after a crash: did an earlier attempt go out? ──


class ListingHttpClient(HttpClient):
    """Twilio's message list for GETs (newest first, as Twilio gives it); records every request."""

    def __init__(self, listed: list[dict]) -> None:
        super().__init__(logging.getLogger("tests.twilio_list"), False, None)
        self.listed = listed
        self.requests: list[tuple[str, str, dict]] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **_):
        self.requests.append((method, urlsplit(url).path, dict(params or {})))
        body = {"messages": self.listed, "next_page_uri": None, "page": 0, "page_size": 20}
        return Response(200, json.dumps(body), {"Content-Type": "application/json"})


def listed(sid: str, body: str, created: str) -> dict:
    return {"sid": sid, "to": TO, "from": FROM, "body": body, "status": "sent", "date_created": created}


def find(sender: TwilioSender, message: Outgoing) -> SendResult | None:
    return asyncio.run(sender.find_sent(message))


def test_find_sent_recognises_the_earlier_attempt_by_number_text_and_time():
    from datetime import UTC, datetime

    text = "Hospitals need gowns this week — who can sew? Reply YES"
    client = ListingHttpClient(
        [
            listed("SM" + "1" * 32, "another text", "Fri, 27 Nov 2026 14:05:00 +0000"),
            # Twilio's smart encoding stored the dash as a hyphen.
            listed("SM" + "2" * 32, text.replace("—", "-"), "Fri, 27 Nov 2026 14:03:00 +0000"),
            listed("SM" + "3" * 32, text, "Fri, 20 Nov 2026 14:03:00 +0000"),  # last week's identical alert
        ]
    )
    sender = TwilioSender(settings(), http_client=client)
    since = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)
    message = Outgoing(7, "sms", TO, text, None, "alert", 2, uncertain_since=since)

    assert find(sender, message) == SendResult(provider_id="SM" + "2" * 32)
    [(method, path, params)] = client.requests
    assert (method, path, params.get("To")) == ("GET", MESSAGES_PATH, TO)

    later = Outgoing(7, "sms", TO, text, None, "alert", 2, uncertain_since=datetime(2026, 11, 27, 15, tzinfo=UTC))
    assert find(sender, later) is None  # the identical one is older than the attempt: a different message
    assert find(sender, outgoing()) is None  # nothing uncertain: no lookup at all
    assert len(client.requests) == 2


@pytest.mark.parametrize(
    ("entry", "known"),
    [
        ({"sid": "SM" + "4" * 32}, {"SM" + "4" * 32}),  # recorded already, for another message to this number
        ({"from": "+13135550199"}, set()),  # sent from another number: not ours
        ({"date_created": None}, set()),  # no date: cannot be placed after the attempt
        ({"date_created": "Fri, 27 Nov 2026 14:30:00 +0000"}, set()),  # long after the attempt: a later message
    ],
    ids=["known-sid", "other-origin", "no-date", "too-late"],
)
def test_find_sent_ignores_what_cannot_be_the_earlier_attempt(entry, known):
    from datetime import UTC, datetime

    text = "makerlink: thanks, your reply went to the organisers."
    client = ListingHttpClient([{**listed("SM" + "4" * 32, text, "Fri, 27 Nov 2026 14:03:00 +0000"), **entry}])
    sender = TwilioSender(settings(), http_client=client)
    since = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)
    message = Outgoing(7, "sms", TO, text, None, "reply", 2, uncertain_since=since, known_provider_ids=frozenset(known))
    assert find(sender, message) is None
    assert find(sender, Outgoing(7, "sms", TO, text, None, "reply", 2, uncertain_since=since)) == (
        None if entry.keys() - {"sid"} else SendResult(provider_id="SM" + "4" * 32)
    )


def test_find_sent_that_cannot_reach_twilio_is_a_retryable_lookup_failure():
    from datetime import UTC, datetime

    sender = TwilioSender(settings(), http_client=StubHttpClient(requests.ConnectionError("refused")))
    message = Outgoing(7, "sms", TO, "hello", None, "alert", 2, uncertain_since=datetime.now(UTC))
    with pytest.raises(SendError) as caught:
        find(sender, message)
    assert caught.value.retryable and caught.value.code == "lookup_failed"


def test_the_environments_proxy_is_read_once_when_the_sender_starts(monkeypatch):
    """As requests would on every request (HTTPS_PROXY, NO_PROXY), but once: the client then stops scanning the
    environment per message."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    sender = TwilioSender(settings())
    assert sender.http_client.proxy == {"https": "http://proxy.example.org:3128"}
    assert sender.http_client.session.trust_env is False
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    assert TwilioSender(settings()).http_client.proxy == {}
