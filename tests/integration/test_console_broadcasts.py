"""The console's Broadcasts pages: a preview queues nothing; Send queues once for the audience previewed; an
audience that changed in between is shown again, not sent; a bad audience is one sentence."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.models import AdminAction, Broadcast, Maker, OutboundMessage
from tests.integration.console_client import (
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    log_in,
)

ALERT = "Hospitals need isolation gowns this week: who can sew? Reply YES and how many."


def _alerts(database):
    with database.read() as session:
        return session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "alert")).all()


def test_preview_then_send_once(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    answer = browser.post("/console/broadcasts", text=ALERT, to="makers", capability="sewing")
    assert answer.status_code == 303
    page = browser.get(answer.headers["location"]).text
    count = int(re.search(r"Send to (\d+)", page).group(1))
    assert count > 0 and "GSM-7, 1 segment each" in page and _alerts(db) == []
    broadcast_id = int(answer.headers["location"].rsplit("/", 1)[1])
    sent = browser.post(f"/console/broadcasts/{broadcast_id}/send", expect=str(count))
    assert sent.status_code == 303 and len(_alerts(db)) == count
    assert browser.post(f"/console/broadcasts/{broadcast_id}/send", expect=str(count)).status_code == 303
    assert len(_alerts(db)) == count  # pressed twice: queued once
    result = browser.get(f"/console/broadcasts/{broadcast_id}").text
    assert f"{count} queued" in result and 'http-equiv="refresh"' in result
    assert f"#{broadcast_id}" in browser.get("/console/broadcasts").text
    with db.read() as session:
        actions = session.exec(select(AdminAction.actor, AdminAction.action)).all()
    assert ("telegram:999", "broadcast_draft") in actions and ("telegram:999", "broadcast_send") in actions


def test_an_audience_that_changed_is_shown_again_not_sent(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    answer = browser.post("/console/broadcasts", text=ALERT, to="makers")
    broadcast_id = int(answer.headers["location"].rsplit("/", 1)[1])
    count = int(re.search(r"Send to (\d+)", browser.get(answer.headers["location"]).text).group(1))
    with db.transaction() as session:
        session.exec(select(Maker)).first().status = "stopped"
    changed = browser.post(f"/console/broadcasts/{broadcast_id}/send", expect=str(count))
    assert changed.status_code == 409 and f"it is now {count - 1} people" in changed.text
    assert _alerts(db) == []
    assert browser.post(f"/console/broadcasts/{broadcast_id}/cancel").status_code == 303
    with db.read() as session:
        assert session.get(Broadcast, broadcast_id).status == "cancelled"
    assert browser.post(f"/console/broadcasts/{broadcast_id}/send", expect=str(count - 1)).status_code == 303
    assert _alerts(db) == []  # a cancelled broadcast stays unsent


def test_a_bad_audience_is_one_sentence_and_nothing_is_kept(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    for form in ({"text": ALERT, "zip": "00000"}, {"text": "   "}, {"text": ALERT, "capability": "zzzz qqqq"}):
        answer = browser.post("/console/broadcasts", to="makers", **form)
        assert answer.status_code == 400 and "Broadcast not possible:" in answer.text
    with db.read() as session:
        assert session.exec(select(Broadcast)).all() == []
    assert browser.http.post("/console/broadcasts", data={"text": ALERT}).status_code == 403  # no CSRF token
    assert browser.get("/console/broadcasts/12345").status_code == 404
