"""POST /twilio/sms and /twilio/status through the ASGI app: a table of real Twilio form posts."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from starlette.testclient import TestClient

from bot.channels.sms import EMPTY_TWIML, MAX_BODY_BYTES, TwilioWebhooks
from bot.models import InboundMessage, OutboundMessage
from bot.outbox import enqueue
from bot.services import makers as maker_service
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv
from tests.fixtures.twilio import AUTH_TOKEN, PUBLIC_URL, inbound_sms, signed, status_callback

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
MAKER = "+13135550101"  # in the demo directory


@pytest.fixture
def db(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo")
    return any_db


@pytest.fixture
def client(db):
    hooks = TwilioWebhooks(db, load_taxonomy(), auth_token=AUTH_TOKEN, public_url=PUBLIC_URL, clock=lambda: NOW)
    with TestClient(create_app(db, twilio=hooks), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def _inbound(db) -> list[InboundMessage]:
    with db.read() as session:
        return list(session.exec(select(InboundMessage).order_by(InboundMessage.id)).all())


def _outbound(db) -> list[OutboundMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all())


def _tampered():
    post = signed("/twilio/sms", inbound_sms("NO"))
    post["content"] = post["content"].replace(b"Body=NO", b"Body=YES")
    return post


def _no_signature():
    post = signed("/twilio/sms", inbound_sms("HELP"))
    del post["headers"]["X-Twilio-Signature"]
    return post


def _other_token():
    return signed("/twilio/sms", inbound_sms("HELP"), token="0" * 32)


def _garbage_signature():
    post = signed("/twilio/sms", inbound_sms("HELP"))
    post["headers"]["X-Twilio-Signature"] = "not base64 at all !!"
    return post


# (name, path, post, expected status, inbound rows recorded)
TABLE = [
    ("good signature", "/twilio/sms", lambda: signed("/twilio/sms", inbound_sms("HELP")), 200, 1),
    ("body tampered after signing", "/twilio/sms", _tampered, 403, 0),
    ("no signature", "/twilio/sms", _no_signature, 403, 0),
    ("signed with another auth token", "/twilio/sms", _other_token, 403, 0),
    ("signature that is not base64", "/twilio/sms", _garbage_signature, 403, 0),
    (
        "signed for another host",
        "/twilio/sms",
        lambda: signed("/twilio/sms", inbound_sms("HELP"), url="https://evil.example.com/twilio/sms"),
        403,
        0,
    ),
    (
        "signed for another path",
        "/twilio/sms",
        lambda: signed("/twilio/status", inbound_sms("HELP"), url=PUBLIC_URL + "/twilio/status"),
        403,
        0,
    ),
    (
        "signed with the default port spelled out",
        "/twilio/sms",
        lambda: signed("/twilio/sms", inbound_sms("HELP"), url="https://makerlink.example.org:443/twilio/sms"),
        200,
        1,
    ),
    (
        "query string is part of what is signed",
        "/twilio/sms?source=longcode",
        lambda: signed("/twilio/sms", inbound_sms("HELP"), url=PUBLIC_URL + "/twilio/sms?source=longcode"),
        200,
        1,
    ),
    (
        "query string left out of the signature",
        "/twilio/sms?source=longcode",
        lambda: signed("/twilio/sms", inbound_sms("HELP")),
        403,
        0,
    ),
    (
        "signed but no MessageSid",
        "/twilio/sms",
        lambda: signed(
            "/twilio/sms", {k: v for k, v in inbound_sms("HI").items() if "Sid" not in k or k == "AccountSid"}
        ),
        400,
        0,
    ),
    (
        "signed but no From",
        "/twilio/sms",
        lambda: signed("/twilio/sms", {k: v for k, v in inbound_sms("HI").items() if k != "From"}),
        400,
        0,
    ),
    ("MMS with no Body", "/twilio/sms", lambda: signed("/twilio/sms", {**inbound_sms(""), "NumMedia": "1"}), 200, 1),
    ("emoji and Arabic", "/twilio/sms", lambda: signed("/twilio/sms", inbound_sms("نعم 👍🏽 ✔")), 200, 1),
    (
        "a 1,600-character SMS",
        "/twilio/sms",
        lambda: signed("/twilio/sms", inbound_sms("yes " * 400)),
        200,
        1,
    ),
    (
        "body over the size cap",
        "/twilio/sms",
        lambda: signed("/twilio/sms", inbound_sms("x" * (MAX_BODY_BYTES + 10))),
        413,
        0,
    ),
    (
        "JSON instead of a form",
        "/twilio/sms",
        lambda: {
            "content": b'{"Body": "YES"}',
            "headers": {"Content-Type": "application/json", "X-Twilio-Signature": "abc"},
        },
        403,
        0,
    ),
    (
        "broken percent-encoding",
        "/twilio/sms",
        lambda: {"content": b"Body=%ZZ%E9&From=%", "headers": {"X-Twilio-Signature": "abc"}},
        403,
        0,
    ),
]


@pytest.mark.parametrize(("name", "path", "post", "status", "recorded"), TABLE, ids=[row[0] for row in TABLE])
def test_inbound_sms_table(client, db, name, path, post, status, recorded):
    response = client.post(path, **post())
    assert response.status_code == status, response.text
    if status == 200:
        assert response.text == EMPTY_TWIML
        assert response.headers["content-type"].startswith("text/xml")
    assert len(_inbound(db)) == recorded
    if recorded:
        assert len(_outbound(db)) == 1  # the reply is queued, not sent from the handler
    else:
        assert _outbound(db) == []


def test_twilio_retries_are_handled_once(client, db):
    post = signed("/twilio/sms", inbound_sms("CAPS", sender=MAKER))
    first = client.post("/twilio/sms", **post)
    again = client.post("/twilio/sms", **post)
    assert first.status_code == again.status_code == 200
    assert len(_inbound(db)) == 1
    replies = _outbound(db)
    assert len(replies) == 1 and replies[0].address == MAKER and replies[0].text.startswith("You make:")


def test_a_message_the_service_chokes_on_is_kept_and_answered(client, db, monkeypatch):
    from bot.services import sms_inbox

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(sms_inbox, "handle_sms", broken)
    response = client.post("/twilio/sms", **signed("/twilio/sms", inbound_sms("YES", sender=MAKER)))
    assert response.status_code == 200
    [kept] = _inbound(db)
    assert (kept.status, kept.error, kept.text) == ("failed", "ValueError", "YES")
    [sorry] = _outbound(db)
    assert sorry.address == MAKER and "went wrong" in sorry.text


def test_get_is_not_allowed(client):
    assert client.get("/twilio/sms").status_code == 405


# ── delivery reports ──


def _sent_message(db, sid="SM" + "77" * 16) -> str:
    with db.transaction() as session:
        row = enqueue(session, channel="sms", address=MAKER, text="hello", purpose="reply", key="s1", now=NOW)
        row.status, row.provider_id = "sent", sid
    return sid


STATUS_TABLE = [
    # reports in the order they arrive → the message's status after each
    ("in order", [("queued", None), ("sent", None), ("delivered", None)], ["sent", "sent", "delivered"]),
    ("delivered before sent", [("delivered", None), ("sent", None)], ["delivered", "delivered"]),
    ("undelivered with a code", [("sent", None), ("undelivered", "30006")], ["sent", "failed"]),
    ("failed after delivered is ignored", [("delivered", None), ("failed", "30008")], ["delivered", "delivered"]),
    ("an unknown status changes nothing", [("exploded", None)], ["sent"]),
]


@pytest.mark.parametrize(("name", "reports", "statuses"), STATUS_TABLE, ids=[row[0] for row in STATUS_TABLE])
def test_status_callback_table(client, db, name, reports, statuses):
    sid = _sent_message(db)
    for (status, code), expected in zip(reports, statuses, strict=True):
        response = client.post("/twilio/status", **signed("/twilio/status", status_callback(sid, status, code)))
        assert response.status_code == 200
        [row] = _outbound(db)
        assert row.status == expected
    if statuses[-1] == "failed":
        assert _outbound(db)[0].error_code == "30006"


def test_status_callback_needs_a_signature_and_tolerates_strangers(client, db):
    sid = _sent_message(db)
    post = signed("/twilio/status", status_callback(sid, "delivered"))
    post["headers"]["X-Twilio-Signature"] = "x"
    assert client.post("/twilio/status", **post).status_code == 403
    assert _outbound(db)[0].status == "sent"
    unknown = signed("/twilio/status", status_callback("SM" + "00" * 16, "delivered"))
    assert client.post("/twilio/status", **unknown).status_code == 200


def test_a_21610_report_stops_the_maker(client, db):
    sid = _sent_message(db)
    client.post("/twilio/status", **signed("/twilio/status", status_callback(sid, "failed", "21610")))
    [maker] = [v.maker for v in maker_service.list_makers(db) if v.maker.phone == MAKER]
    assert maker.status == "stopped"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=2000), sid=st.text(min_size=1, max_size=80))
def test_no_sms_body_makes_the_webhook_fail(client, body, sid):
    form = inbound_sms(body, sid=sid)
    response = client.post("/twilio/sms", **signed("/twilio/sms", form))
    assert response.status_code in (200, 400), response.text


def test_unsigned_junk_never_500s(client):
    for content in [b"", b"\x00\xff\xfe", b"a=" + b"%" * 1000, urlencode({"From": "x" * 10_000}).encode()]:
        assert client.post("/twilio/sms", content=content).status_code in (403, 413)
