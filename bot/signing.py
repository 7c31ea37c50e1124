"""Signed, expiring tokens keyed by MAKERLINK_SECRET_KEY (itsdangerous): the console's login links and session
cookies. A signature proves makerlink made the token and when; whether it may still be used is the database's
word (bot/services/console_access.py), so a token is single use and a session can end before it expires."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LOGIN = "makerlink.console.login"  # one salt per use: a login token never passes for a cookie, nor the reverse
SESSION = "makerlink.console.session"


class Expired(Exception):
    """The signature is good, but older than the token may be."""


class Signer:
    """Signs a random nonce for one purpose; `unsign` gives it back only if the signature and age are good."""

    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key

    def sign(self, purpose: str, nonce: str) -> str:
        return str(URLSafeTimedSerializer(self._secret, salt=purpose).dumps(nonce))

    def unsign(self, purpose: str, token: str, max_age: timedelta) -> str | None:
        """The nonce, or None for a token that is forged, altered or for another purpose; raises Expired for one
        older than `max_age`."""
        try:
            nonce = URLSafeTimedSerializer(self._secret, salt=purpose).loads(
                token, max_age=int(max_age.total_seconds())
            )
        except SignatureExpired:
            raise Expired from None
        except (BadSignature, UnicodeDecodeError, ValueError):
            return None
        return nonce if isinstance(nonce, str) else None


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def digest(nonce: str) -> str:
    """What the database keeps of a nonce: someone who reads the table cannot log in with it."""
    return hashlib.sha256(nonce.encode()).hexdigest()
