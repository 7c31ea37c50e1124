"""Logging for the long-running roles: one line per event, UTC timestamps, request ids, nothing secret.

Masking happens on the formatted line, so it covers our messages, their arguments, exception text and tracebacks,
and every library that logs through the standard `logging` module (httpx puts the bot token in its request URLs).
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from bot.config import Settings
from bot.phones import MASK, mask_digits

# The id of the HTTP request being handled (from the reverse proxy's X-Request-ID, or made up): every line
# logged while handling it carries it, also from the worker threads Starlette hands blocking work to.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("makerlink_request_id", default=None)

# "+13135550123", and the same URL-encoded ("%2B13135550123") as it appears in request URLs and form bodies.
_PHONE = re.compile(r"(?<![\w%])(\+|%2B)(\d{7,15})(?!\d)", re.IGNORECASE)
# A Telegram bot token has this shape; masked even when it is not the configured one.
_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}")  # also inside ".../bot<token>/getMe"
# user:password@ in any URL (a database URL in a driver's error message).
_URL_PASSWORD = re.compile(r"(\w+://[^/\s:@]*):[^/\s@]+@")
# Libraries whose INFO lines are one per HTTP call or per job run: they say nothing our own lines do not.
QUIET_LOGGERS = ("httpx", "httpcore", "twilio.http_client", "urllib3", "apscheduler", "telegram.ext")


class Redactor:
    """Replaces configured secrets and full phone numbers in a piece of text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 4:
                variants.update({secret, quote(secret, safe=""), unquote(secret)})
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted((v for v in variants if len(v) >= 4), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _BOT_TOKEN.sub(MASK, text)
        text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
        return _PHONE.sub(lambda m: mask_digits(m.group(2), m.group(1)), text)

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        secrets = [
            value.get_secret_value()
            for value in (
                settings.telegram_token,
                settings.twilio_auth_token,
                settings.telegram_webhook_secret,
                settings.secret_key,
            )
            if value is not None
        ]
        password = urlsplit(settings.database_url).password
        if password:
            secrets.append(password)
        return cls(secrets)


class LineFormatter(logging.Formatter):
    """`2026-11-27T14:00:00Z INFO bot.outbox message 123 sent req=ab12cd34`: one line, masked.

    A traceback stays on the same line, its line breaks written as `\\n`, so a log shipper never splits an event.
    """

    converter = staticmethod(time.gmtime)  # as a bare function, type checkers would read it as a method

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        if rid:
            line = f"{line} req={rid}"
        return self.redact(line).replace("\r", "").replace("\n", "\\n")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def configure(settings: Settings, *, level: int = logging.INFO, stream=None) -> logging.Handler:
    """Send every log line of the process, ours and the libraries', to stderr (or `stream`), formatted and masked.

    Calling it again replaces the handler it installed before (tests, a CLI that reconfigures).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_makerlink", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._makerlink = True  # type: ignore[attr-defined]
    handler.setFormatter(LineFormatter(Redactor.from_settings(settings)))
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own handlers would print its lines a second time, unformatted and unmasked.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)
    return handler
