"""The console's Today and Requests pages: what is waiting shows, each a link; a request shows its answers,
reminders and messages; close, reopen and "ask more makers" act through the bot's own services and are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot import outbox, texts
from bot.channels.inbound import Inbound, receive
from bot.models import AdminAction, Buyer, Invitation, Maker, MessageStatus, OutboundMessage, Request, utcnow
from bot.services import handlers
from bot.services import requests as request_service
from bot.services.followups import FollowUpPolicy
from bot.services.orders import Closing, RequestStatus
from bot.services.sms_inbox import handle_sms
from tests.integration.console_client import (
    TAXONOMY,
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    log_in,
)

TEXT = "500 face shields by Friday near 48201"


def _buyer(database) -> int:
    with database.transaction() as session:
        buyer = session.exec(select(Buyer).where(Buyer.telegram_user_id == 1001)).first()
        if buyer is None:
            buyer = Buyer(telegram_user_id=1001, chat_id=1001, name="Dana", username="dana_hospital")
            session.add(buyer)
            session.flush()
        return buyer.id


def open_request(database, text=TEXT, invites=2) -> Request:
    buyer_id = _buyer(database)
    opened = request_service.open_request(
        database, TAXONOMY, text, radius_miles=50, max_invites=invites, buyer_id=buyer_id, source="telegram"
    )
    return opened.request


def maker_texts(database, phone, text, sid):
    """An SMS from a maker, received as the SMS channel does: recorded, then acted on, in one transaction."""

    def act(session):
        handle_sms(session, TAXONOMY, phone=phone, text=text, message_id=sid, now=utcnow())

    receive(database, Inbound("sms", sid, phone, text, reply_to=phone, label="test"), utcnow(), act)


def invited(database, code) -> list[tuple[Invitation, Maker]]:
    return list(request_service.list_requests(database, code=code)[0].invitations)


def messages(database, purpose):
    with database.read() as session:
        return session.exec(select(OutboundMessage).where(OutboundMessage.purpose == purpose)).all()


def actions(database):
    with database.read() as session:
        return session.exec(select(AdminAction.action, AdminAction.detail).order_by(AdminAction.id)).all()


def section(html, name):
    return html.split(f'id="{name}"')[1].split("</section>")[0]


@pytest.fixture
def browser(db):  # noqa: F811
    return log_in(client(console_app(db)), db)


def test_today_lists_what_waits_each_a_link(db, browser):  # noqa: F811
    request = open_request(db)
    (_, maker), (_, _) = invited(db, request.code)
    now = utcnow()
    maker_texts(db, maker.phone, f"YES {request.code} 500 at 2.10", "SM1")
    other = open_request(db, "200 tote bags near 48201", invites=1)
    [(bag, bag_maker)] = invited(db, other.code)
    maker_texts(db, bag_maker.phone, f"YES {other.code} 200", "SM2")
    with db.transaction() as session:
        invitation, order = session.get(Invitation, bag.id), session.get(Request, other.id)
        handlers.accept_quote(session, invitation, order, now, FollowUpPolicy(), "test")
        failed = outbox.enqueue(
            session, channel="sms", address="+13135550199", text="hello", purpose="alert", key="t1", now=now
        )
        failed.status, failed.error_reason = MessageStatus.FAILED.value, "The phone is unreachable."
        failed.request_id = other.id
        quiet = session.exec(select(Maker).where(Maker.id != maker.id, Maker.id != bag_maker.id)).first()
        quiet.created_at = now - timedelta(days=60)
    page = browser.get("/console/")
    assert page.status_code == 200
    html = page.text
    sections = {name: section(html, name) for name in ("waiting", "quotes", "due", "failed", "quiet")}
    assert f'href="/console/requests/{request.code}"' in sections["waiting"]  # the second maker has not answered
    assert f'href="/console/requests/{request.code}"' in sections["quotes"] and maker.name in sections["quotes"]
    assert f'href="/console/requests/{other.code}"' in sections["due"] and bag_maker.name in sections["due"]
    assert "The phone is unreachable." in sections["failed"] and other.code in sections["failed"]
    assert quiet.name in sections["quiet"]


def test_requests_are_listed_searched_and_filtered(db, browser):  # noqa: F811
    shields = open_request(db)
    bags = open_request(db, "200 tote bags near 48201", invites=1)
    listed = browser.get("/console/requests").text
    assert shields.code in listed and bags.code in listed
    found = browser.get("/console/requests", params={"q": "tote"}).text
    assert bags.code in found and shields.code not in found
    assert shields.code in browser.get("/console/requests", params={"q": shields.code.lower()}).text
    assert "No request matches." in browser.get("/console/requests", params={"status": "cancelled"}).text
    odd = browser.get("/console/requests", params={"status": "nonsense", "q": "%_\\"})
    assert odd.status_code == 200


def test_a_request_shows_answers_reminders_and_messages(db, browser):  # noqa: F811
    request = open_request(db)
    [(_, maker), (_, other)] = invited(db, request.code)
    maker_texts(db, maker.phone, f"YES {request.code} 500 at 2.10", "SM1")
    html = browser.get(f"/console/requests/{request.code}").text
    answers = section(html, "answers")
    assert maker.name in answers and other.name in answers and "$2.10 each" in answers
    reminders = section(html, "reminders")
    assert "invite_nudge" in reminders and "request_expire" in reminders
    history = section(html, "history")
    assert f"YES {request.code} 500 at 2.10" in history and f"from {maker.name}" in history
    assert f"to {other.name}" in history  # the invitation SMS


def test_ask_more_makers_uses_the_matcher_tells_the_buyer_and_is_audited(db, browser):  # noqa: F811
    request = open_request(db)
    before = invited(db, request.code)
    answer = browser.post(f"/console/requests/{request.code}/invite", count="1")
    assert answer.status_code == 303
    page = browser.get(answer.headers["location"]).text
    assert texts.CONSOLE_DONE["invited"].format(count=1, code=request.code) in page
    after = invited(db, request.code)
    assert len(after) == len(before) + 1 and after[-1][0].rank == len(after)
    assert len(messages(db, "invitation")) == len(after)
    [told] = messages(db, "organisers")
    assert told.address == "1001" and request.code in told.text
    assert actions(db)[-1] == ("request_invite", f"request {request.code}: 1 makers asked")
    assert "request_invite" in page.split('id="audit"')[1]


def test_close_tells_makers_and_buyer_and_a_second_close_is_refused(db, browser):  # noqa: F811
    request = open_request(db)
    answer = browser.post(f"/console/requests/{request.code}/close")
    assert answer.status_code == 303
    with db.read() as session:
        assert session.get(Request, request.id).status == "cancelled"
    [told] = messages(db, "organisers")
    assert "The organisers closed request" in told.text
    assert actions(db)[-1] == ("request_close", f"request {request.code}")
    again = browser.post(f"/console/requests/{request.code}/close")
    assert again.status_code == 409
    assert texts.CONSOLE_CANNOT_CLOSE.format(code=request.code, status="cancelled") in again.text
    assert actions(db)[-1] == ("request_close", f"request {request.code}") and len(actions(db)) == 2


def test_an_expired_request_can_be_reopened(db, browser):  # noqa: F811
    request = open_request(db)
    with db.transaction() as session:
        row = session.get(Request, request.id)
        policy = FollowUpPolicy()
        handlers.close_request(session, row, RequestStatus.EXPIRED, Closing.EXPIRED, utcnow(), policy, source="t")
    page = browser.get(f"/console/requests/{request.code}").text
    assert "/reopen" in page and "/close" not in page and "/invite" not in page
    answer = browser.post(f"/console/requests/{request.code}/reopen")
    assert answer.status_code == 303
    with db.read() as session:
        assert session.get(Request, request.id).status == "open"
    assert actions(db)[-1][0] == "request_reopen"
    assert "reopened request" in messages(db, "organisers")[-1].text


def test_unknown_requests_and_actions_are_one_sentence(db, browser):  # noqa: F811
    assert browser.get("/console/requests/NOPE").status_code == 404
    assert browser.get("/console/requests/<b>").status_code == 404
    request = open_request(db)
    assert browser.post(f"/console/requests/{request.code}/delete").status_code == 404
    assert browser.post("/console/requests/NOPE/close").status_code == 404
    with db.read() as session:
        assert session.get(Request, request.id).status == "open"
    assert actions(db) == [("console_login", "")]


def test_what_buyers_and_makers_wrote_is_shown_as_text_never_as_markup(db, browser):  # noqa: F811
    request = open_request(db, '500 face shields near 48201 <script>alert("x")</script>')
    html = browser.get(f"/console/requests/{request.code}").text
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    with db.transaction() as session:
        session.execute(sa.update(Maker).values(name="<img src=x onerror=alert(1)>"))
    assert "<img src=x" not in browser.get(f"/console/requests/{request.code}").text
