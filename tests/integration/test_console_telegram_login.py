"""The optional Telegram Login Widget: offered only where MAKERLINK_TELEGRAM_LOGIN_BOT is set, its script allowed only
on its page; a valid answer from an organiser logs in once; anything else is refused, logged without the hash, and
changes nothing."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlmodel import select

from bot import texts
from bot.console.telegram_login import TelegramLogin
from bot.models import AdminAction, utcnow
from tests.integration.console_client import (
    ORGANISER,
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    snapshot,
)
from tests.unit.test_console_telegram_login import TOKEN, signed

WIDGET = TelegramLogin("makerlink_detroit_bot", TOKEN)
ANSWER = "/console/telegram-login/answer"


def answer(telegram_id: int = ORGANISER, age: timedelta = timedelta(seconds=30)) -> dict[str, str]:
    when = int((utcnow() - age).timestamp())
    return signed({"id": str(telegram_id), "first_name": "Ada", "auth_date": str(when)})


def test_the_login_page_offers_the_widget_and_only_it_may_load_telegrams_script(db):  # noqa: F811
    http = client(console_app(db, telegram_login=WIDGET))
    page = http.get("/console/telegram-login")
    assert page.status_code == 200 and 'data-telegram-login="makerlink_detroit_bot"' in page.text
    assert escape(texts.CONSOLE_WIDGET_INTRO) in page.text
    assert 'data-auth-url="https://console.example.org/console/telegram-login/answer"' in page.text
    assert "https://telegram.org/js/telegram-widget.js" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    elsewhere = http.get("/console/")
    assert elsewhere.status_code == 401 and 'href="/console/telegram-login"' in elsewhere.text
    for path in ("/console/", ANSWER, "/console/static/console.css"):
        assert "telegram.org" not in http.get(path).headers["content-security-policy"]


def test_without_the_setting_there_is_no_widget(db):  # noqa: F811
    http = client(console_app(db))
    assert http.get("/console/telegram-login").status_code == 404
    assert http.post(ANSWER, data=answer()).status_code == 404
    assert "telegram-login" not in http.get("/console/").text


def test_a_valid_answer_logs_an_organiser_in_once(db):  # noqa: F811
    http = client(console_app(db, telegram_login=WIDGET))
    fields = answer()
    shown = http.get(ANSWER, params=fields)
    assert shown.status_code == 200 and escape(texts.CONSOLE_WIDGET_CONFIRM) in shown.text
    assert snapshot(db).sessions == 0  # showing the button spends nothing
    assert re.findall(r'<input type="hidden" name="(\w+)"', shown.text) == list(fields)
    started = http.post(ANSWER, data=fields)
    assert started.status_code == 303 and started.headers["location"] == "/console/"
    assert "samesite=strict" in started.headers["set-cookie"].lower()
    assert http.get("/console/").status_code == 200
    with db.read() as session:
        assert session.exec(select(AdminAction.actor, AdminAction.action, AdminAction.detail)).all() == [
            (f"telegram:{ORGANISER}", "console_login", "Telegram Login Widget")
        ]
    again = client(console_app(db, telegram_login=WIDGET)).post(ANSWER, data=fields)  # the same answer, replayed
    assert again.status_code == 403 and escape(texts.CONSOLE_WIDGET_REFUSED["already used"]) in again.text
    assert snapshot(db).sessions == 1


REFUSED = {  # made when the test runs: the tests' wall clock is shifted (tests/conftest.py)
    "forged hash": (lambda: {**answer(), "hash": "f" * 64}, "forged or altered"),
    "altered id": (lambda: {**answer(), "id": "31337"}, "forged or altered"),
    "stale auth_date": (lambda: answer(age=timedelta(minutes=11)), "expired"),
    "not an organiser": (lambda: answer(telegram_id=555), "not an organiser"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_anything_else_is_refused_logged_without_the_hash_and_changes_nothing(db, case, caplog):  # noqa: F811
    make, why = REFUSED[case]
    fields = make()
    http = client(console_app(db, telegram_login=WIDGET))
    before = snapshot(db)
    caplog.set_level(logging.INFO)
    for refused in (http.get(ANSWER, params=fields), http.post(ANSWER, data=fields)):
        assert refused.status_code == 403 and escape(texts.CONSOLE_WIDGET_REFUSED[why]) in refused.text
        assert "set-cookie" not in refused.headers
    assert snapshot(db) == before and http.get("/console/").status_code == 401
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("bot"))
    assert f"console: Telegram login refused ({why})" in logged
    assert fields["hash"] not in logged and fields["hash"][:16] not in logged


def test_an_answer_posted_from_another_site_is_refused(db):  # noqa: F811
    http = client(console_app(db, telegram_login=WIDGET))
    refused = http.post(ANSWER, data=answer(), headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and snapshot(db).sessions == 0
