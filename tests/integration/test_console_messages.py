"""The console's Messages page: the outbox by status, why a message failed in words, and sending a failed one
again through the outbox (audited; anything that has not failed is refused and left as it was)."""

from __future__ import annotations

from sqlmodel import select

from bot import outbox, texts
from bot.models import AdminAction, MessageStatus, OutboundMessage, utcnow
from tests.integration.console_client import (
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    log_in,
)


def _queue(database, key, status, code=None, reason=None):
    with database.transaction() as session:
        row = outbox.enqueue(
            session, channel="sms", address="+13135550142", text=f"hello {key}", purpose="alert", key=key, now=utcnow()
        )
        row.status, row.error_code, row.error_reason, row.attempts = status, code, reason, 3
        return row.id


def _row(database, message_id):
    with database.read() as session:
        return session.get(OutboundMessage, message_id)


def test_messages_by_status_with_the_reason_in_words_and_a_retry(db):  # noqa: F811
    failed = _queue(db, "a", MessageStatus.FAILED, "30003", None)
    sent = _queue(db, "b", MessageStatus.SENT)
    browser = log_in(client(console_app(db)), db)
    page = browser.get("/console/messages").text
    assert "hello a" in page and "hello b" in page and "phone unreachable" in page  # 30003, in words
    only = browser.get("/console/messages", params={"status": "failed"}).text
    assert "hello a" in only and "hello b" not in only and f"/console/messages/{failed}/retry" in only
    assert f"/console/messages/{sent}/retry" not in page
    answer = browser.post(f"/console/messages/{failed}/retry", status="failed")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/messages?")
    assert texts.CONSOLE_DONE["retried"].format(id=failed) in browser.get(answer.headers["location"]).text
    row = _row(db, failed)
    assert (row.status, row.attempts, row.error_code, row.error_reason) == ("queued", 0, None, None)
    with db.read() as session:
        audit = session.exec(select(AdminAction.actor, AdminAction.action, AdminAction.detail)).all()
    assert ("telegram:999", "message_retry", f"message {failed}") in audit


def test_only_a_failed_message_is_sent_again(db):  # noqa: F811
    sent = _queue(db, "b", MessageStatus.SENT)
    browser = log_in(client(console_app(db)), db)
    for message_id in (sent, 987654):
        refused = browser.post(f"/console/messages/{message_id}/retry")
        assert refused.status_code == 409 and "only a failed message can be sent again" in refused.text
    assert _row(db, sent).status == "sent" and _row(db, sent).attempts == 3
    failed = _queue(db, "c", MessageStatus.FAILED)
    assert browser.http.post(f"/console/messages/{failed}/retry", data={}).status_code == 403  # no CSRF token
    assert _row(db, failed).status == "failed"
    with db.read() as session:
        assert [a.action for a in session.exec(select(AdminAction)).all()] == ["console_login"]


def test_a_message_sent_again_goes_out_through_the_dispatcher(db):  # noqa: F811
    import asyncio

    from bot.outbox import ChannelPolicy, Dispatcher
    from tests.fakes.senders import RecordingSender

    failed = _queue(db, "d", MessageStatus.FAILED, "timeout", "the provider did not answer in time")
    browser = log_in(client(console_app(db)), db)
    assert browser.post(f"/console/messages/{failed}/retry").status_code == 303
    sender = RecordingSender()
    dispatcher = Dispatcher(db, {"sms": sender}, {"sms": ChannelPolicy(per_second=1000.0)}, clock=utcnow)
    assert asyncio.run(dispatcher.drain()) == 1
    assert sender.texts_to("+13135550142") == ["hello d"] and _row(db, failed).status == "sent"
