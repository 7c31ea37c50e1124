"""The Telegram Login Widget's answer, checked as Telegram documents it: the hash of the sorted fields keyed by
SHA-256 of the bot token, and an auth_date under 10 minutes old."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from bot.console.security import content_security_policy as strict_policy
from bot.console.telegram_login import Answer, check, content_security_policy
from bot.services.console_access import Refusal

TOKEN = "7012345678:AAFtest-token-for-the-widget"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def signed(fields: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    """What Telegram would send: the fields and their hash (https://core.telegram.org/widgets/login)."""
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    key = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(key, check_string.encode(), hashlib.sha256).hexdigest()}


def answer(age: timedelta = timedelta(minutes=1), **extra: str) -> dict[str, str]:
    when = int((NOW - age).timestamp())
    return signed({"id": "4242", "first_name": "Ada", "username": "ada_org", "auth_date": str(when), **extra})


def test_a_valid_answer_names_the_telegram_user():
    fields = answer()
    assert check(fields, TOKEN, NOW) == Answer(4242, fields["hash"])


@pytest.mark.parametrize(
    "fields",
    [
        {**answer(), "id": "1"},  # another user's id under Ada's hash
        {**answer(), "hash": "0" * 64},
        {k: v for k, v in answer().items() if k != "hash"},
        {**answer(), "photo_url": "https://example.org/x.jpg"},  # a field added after signing
        signed({"id": "4242", "auth_date": str(int(NOW.timestamp()))}, token="999:another-bot"),
        signed({"id": "not-a-number", "auth_date": str(int(NOW.timestamp()))}),
        signed({"id": "4242", "auth_date": "yesterday"}),
    ],
    ids=["altered id", "made-up hash", "no hash", "added field", "another bot", "bad id", "bad date"],
)
def test_a_forged_answer_is_refused(fields):
    assert check(fields, TOKEN, NOW) == Refusal.FORGED


def test_an_answer_over_ten_minutes_old_or_from_the_future_is_expired():
    assert check(answer(timedelta(minutes=9, seconds=59)), TOKEN, NOW) == Answer(
        4242, answer(timedelta(minutes=9, seconds=59))["hash"]
    )
    assert check(answer(timedelta(minutes=10, seconds=1)), TOKEN, NOW) == Refusal.EXPIRED
    assert check(answer(-timedelta(minutes=5)), TOKEN, NOW) == Refusal.EXPIRED


def test_the_widget_page_policy_adds_telegram_and_nothing_else():
    strict = strict_policy("https://console.example.org")
    loosened = content_security_policy(strict)
    assert (
        "script-src https://console.example.org/console/static/ https://telegram.org/js/telegram-widget.js" in loosened
    )
    assert "frame-src https://oauth.telegram.org" in loosened and "'unsafe-inline'" not in loosened
    assert "frame-ancestors 'none'" in loosened and "default-src 'none'" in loosened
    assert "telegram.org" not in strict
