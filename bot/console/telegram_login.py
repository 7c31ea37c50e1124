"""The optional Telegram Login Widget on the console's login page, for deployments that set MAKERLINK_TELEGRAM_LOGIN_BOT
(after BotFather's /setdomain): the widget's answer is checked as Telegram documents
(https://core.telegram.org/widgets/login#checking-authorization) — the fields but `hash`, sorted, as `key=value`
lines, HMAC-SHA256 keyed by SHA-256 of the bot token, must give `hash` — and must be under 10 minutes old.

As with a login link, opening the widget's answer (a GET from Telegram's redirect) shows a button and spends
nothing; the button's same-site POST spends it and sets the SameSite=Strict cookie."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.models import as_utc
from bot.services.console_access import LINK_LIFETIME, Refusal

SCRIPT = "https://telegram.org/js/telegram-widget.js"  # the widget's script: its only source outside this site
FRAME = "https://oauth.telegram.org"  # where the script draws its button and asks Telegram
MAX_AGE = LINK_LIFETIME
MAX_AHEAD = timedelta(minutes=1)  # clocks differ a little; an answer from the future is forged
MAX_FIELDS = 20  # Telegram sends seven; more is not an answer from it


@dataclass(frozen=True)
class TelegramLogin:
    """The widget's settings: the bot's username (MAKERLINK_TELEGRAM_LOGIN_BOT) and its token, which checks answers."""

    bot_username: str
    bot_token: str


@dataclass(frozen=True)
class Answer:
    """What the widget sent, once checked: who logged in, and the hash that spends it."""

    telegram_id: int
    proof: str


def check(fields: Mapping[str, str], bot_token: str, now: datetime) -> Answer | Refusal:
    """The Telegram user the widget vouches for, or why not: a hash that does not match (forged, altered, another
    bot's), or an `auth_date` more than 10 minutes old."""
    if len(fields) > MAX_FIELDS:
        return Refusal.FORGED
    received = dict(fields)  # every field Telegram sent goes into the check, as its documentation says
    given = received.pop("hash", "")
    checked = "\n".join(f"{name}={received[name]}" for name in sorted(received))
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, checked.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected, given.lower()):
        return Refusal.FORGED
    try:
        telegram_id, signed_at = int(received["id"]), datetime.fromtimestamp(int(received["auth_date"]), UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return Refusal.FORGED
    if not as_utc(now) - MAX_AGE <= signed_at <= as_utc(now) + MAX_AHEAD:
        return Refusal.EXPIRED
    return Answer(telegram_id, given.lower())


def content_security_policy(strict: str) -> str:
    """The console's policy with the widget allowed in: its script from telegram.org and its frame from
    oauth.telegram.org. Only the widget's login page sends it."""
    parts = [part.strip() for part in strict.split(";")]
    loosened = [f"{part} {SCRIPT}" if part.startswith("script-src ") else part for part in parts]
    return "; ".join([*loosened, f"frame-src {FRAME}"])
