"""Who may use the organisers' console: one-time login links handed out by the bot's /console, the sessions they
start, and their end (log-out, expiry, or the organiser's id leaving MAKERLINK_ADMIN_TELEGRAM_IDS).

A link and a cookie are signed (bot/signing.py) and name a row here by the hash of a random nonce: the signature
turns away forgeries before the database is asked; the row makes a link single use and lets a session end early.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import table_of
from bot.models import AdminAction, ConsoleLogin, ConsoleSession, as_utc
from bot.signing import LOGIN, SESSION, Expired, Signer, digest, new_nonce

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
LOGIN_PATH = "/console/login/"
WIDGET = "telegram-widget:"  # what a spent widget answer's hash is kept under, apart from the links' nonces


class Refusal(StrEnum):
    """Why a login link or a session cookie was turned away (for the log; the person reads one sentence)."""

    FORGED = "forged or altered"
    EXPIRED = "expired"
    USED = "already used"
    UNKNOWN = "unknown"
    NOT_ORGANISER = "not an organiser"
    ENDED = "ended"


class Ended(StrEnum):
    LOGGED_OUT = "logged out"
    NOT_ORGANISER = "no longer an organiser"


@dataclass(frozen=True)
class ConsoleLinks:
    """What the bot needs to hand out login links; the bootstrap builds it from the settings."""

    public_url: str | None  # MAKERLINK_PUBLIC_URL, where the links point
    signer: Signer | None  # None without MAKERLINK_SECRET_KEY: the console is off


@dataclass(frozen=True)
class Organiser:
    """A live console session: who, and the token every form of the session must carry."""

    telegram_id: int
    session_id: int
    csrf_token: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """The organiser as the admin audit names them: the same person as in the bot's chat."""
        return f"telegram:{self.telegram_id}"


def issue_link(session: Session, links: ConsoleLinks, telegram_id: int, now: datetime) -> str:
    """A new one-time login link for this organiser (the caller checked they are one)."""
    assert links.signer is not None and links.public_url is not None
    nonce = new_nonce()
    session.add(
        ConsoleLogin(token_hash=digest(nonce), telegram_id=telegram_id, created_at=now, expires_at=now + LINK_LIFETIME)
    )
    return links.public_url + LOGIN_PATH + links.signer.sign(LOGIN, nonce)


def check_link(
    session: Session, signer: Signer, token: str, admin_ids: tuple[int, ...], now: datetime
) -> Refusal | None:
    """Why this link cannot log anyone in, or None while it still can; changes nothing."""
    found = _login(session, signer, token, now)
    return found if isinstance(found, Refusal) else _refusal(found, admin_ids, now)


def redeem_link(
    session: Session, signer: Signer, token: str, admin_ids: tuple[int, ...], now: datetime
) -> tuple[str, Organiser] | Refusal:
    """Use the link: it is spent, and a session starts. Returns the signed session cookie and the organiser."""
    found = _login(session, signer, token, now)
    if isinstance(found, Refusal):
        return found
    refusal = _refusal(found, admin_ids, now)
    if refusal is not None:
        return refusal
    # Spent in the statement that checks it is unspent: of two tabs opening one link at once, only one logs in.
    table = table_of(ConsoleLogin)
    spent = session.execute(
        sa.update(table).where(table.c.id == found.id, table.c.used_at.is_(None)).values(used_at=now)
    )
    if getattr(spent, "rowcount", 0) != 1:
        return Refusal.USED
    return _start(session, signer, found.telegram_id, now)


def redeem_widget(
    session: Session, signer: Signer, telegram_id: int, proof: str, admin_ids: tuple[int, ...], now: datetime
) -> tuple[str, Organiser] | Refusal:
    """Log in with what the Telegram Login Widget sent, once bot/console/telegram_login.py has checked its hash and
    age: `proof` (that hash) is spent like a link, so the same answer cannot log in twice."""
    if telegram_id not in admin_ids:
        return Refusal.NOT_ORGANISER
    spent = ConsoleLogin(
        token_hash=digest(WIDGET + proof), telegram_id=telegram_id, created_at=now, expires_at=now, used_at=now
    )
    try:
        with session.begin_nested():  # the hash is unique: a second use fails here, even at the same moment
            session.add(spent)
    except sa.exc.IntegrityError:
        return Refusal.USED
    return _start(session, signer, telegram_id, now, detail="Telegram Login Widget")


def _start(
    session: Session, signer: Signer, telegram_id: int, now: datetime, detail: str = ""
) -> tuple[str, Organiser]:
    """A new session for this organiser: the signed cookie that names it, and who it is."""
    nonce = new_nonce()
    row = ConsoleSession(
        token_hash=digest(nonce),
        telegram_id=telegram_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    action = AdminAction(actor=f"telegram:{telegram_id}", action="console_login", detail=detail, created_at=now)
    session.add(action)
    session.flush()
    return signer.sign(SESSION, nonce), _organiser(row)


def current(
    session: Session, signer: Signer, cookie: str | None, admin_ids: tuple[int, ...], now: datetime
) -> Organiser | Refusal:
    """The organiser this session cookie belongs to. A session whose organiser is no longer in
    MAKERLINK_ADMIN_TELEGRAM_IDS is ended here (in a read-only session the caller ends it in a transaction)."""
    nonce = _unsign(signer, SESSION, cookie or "", SESSION_LIFETIME)
    if isinstance(nonce, Refusal):
        return nonce
    row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == digest(nonce))).first()
    if row is None:
        return Refusal.UNKNOWN
    if row.ended_at is not None:
        return Refusal.ENDED
    if as_utc(row.expires_at) <= now:
        return Refusal.EXPIRED
    if row.telegram_id not in admin_ids:
        end(session, row.id or 0, Ended.NOT_ORGANISER, now)
        return Refusal.NOT_ORGANISER
    return _organiser(row)


def end(session: Session, session_id: int, why: Ended, now: datetime) -> None:
    """End a session server-side: its cookie opens nothing any more, even if someone kept a copy."""
    row = session.get(ConsoleSession, session_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at, row.ended_why = now, why.value
    action = "console_logout" if why == Ended.LOGGED_OUT else "console_ended"
    session.add(AdminAction(actor=f"telegram:{row.telegram_id}", action=action, detail=why.value, created_at=now))


def sessions_of(session: Session, telegram_id: int, now: datetime) -> int:
    """How many live sessions an organiser has."""
    query = select(sa.func.count()).where(
        col(ConsoleSession.telegram_id) == telegram_id,
        col(ConsoleSession.ended_at).is_(None),
        col(ConsoleSession.expires_at) > now,
    )
    return int(session.exec(query).one())


def _login(session: Session, signer: Signer, token: str, now: datetime) -> ConsoleLogin | Refusal:
    nonce = _unsign(signer, LOGIN, token, LINK_LIFETIME)
    if isinstance(nonce, Refusal):
        return nonce  # a forged token never reaches the database
    row = session.exec(select(ConsoleLogin).where(ConsoleLogin.token_hash == digest(nonce))).first()
    return row if row is not None else Refusal.UNKNOWN


def _unsign(signer: Signer, purpose: str, token: str, max_age: timedelta) -> str | Refusal:
    try:
        nonce = signer.unsign(purpose, token, max_age) if token else None
    except Expired:
        return Refusal.EXPIRED
    return nonce if nonce is not None else Refusal.FORGED


def _refusal(row: ConsoleLogin, admin_ids: tuple[int, ...], now: datetime) -> Refusal | None:
    if row.used_at is not None:
        return Refusal.USED
    if as_utc(row.expires_at) <= now:
        return Refusal.EXPIRED
    if row.telegram_id not in admin_ids:
        return Refusal.NOT_ORGANISER
    return None


def _organiser(row: ConsoleSession) -> Organiser:
    return Organiser(
        telegram_id=row.telegram_id,
        session_id=row.id or 0,
        csrf_token=row.csrf_token,
        expires_at=as_utc(row.expires_at),
    )
