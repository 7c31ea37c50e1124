"""What organisers do to a request from the console: close it, reopen it, ask more makers.

The lifecycle's own use cases do the work (bot/services/handlers.py, requests.invite); this adds the admin audit
(who, when) and tells the buyer what the organisers did. Each runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, select

from bot import texts
from bot.locales import Catalogue
from bot.models import AdminAction, Request
from bot.services import handlers, notices
from bot.services.followups import FollowUpPolicy
from bot.services.orders import LIVE_REQUEST, Closing, RequestStatus
from bot.services.overview import audit_detail
from bot.services.requests import invite, rematch
from matching.directory import Directory

MAX_MORE = 20  # makers one "ask more makers" may add


class NotAllowed(Exception):
    """The request is not in a state for this action; the message is one sentence for the organiser."""


def lock(session: Session, code: str) -> Request | None:
    """The request with this code, locked for the rest of the transaction (SQLite: the write lock does it)."""
    query = select(Request).where(Request.code == code.upper())
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first()


def close(session: Session, request: Request, actor: str, now: datetime, policy: FollowUpPolicy) -> None:
    """Cancel a live request: the makers on it are told (as when the buyer cancels), and so is the buyer."""
    if request.status not in LIVE_REQUEST:
        raise NotAllowed(texts.CONSOLE_CANNOT_CLOSE.format(code=request.code, status=request.status))
    source = _source(actor, now)
    handlers.close_request(session, request, RequestStatus.CANCELLED, Closing.CANCELLED, now, policy, source=source)
    _tell_buyer(session, request, source, lambda t: t.BUYER_CLOSED_BY_ORGANISERS.format(code=request.code), now)
    _audit(session, actor, "request_close", request, now)


@dataclass(frozen=True)
class Asking:
    """What asking more makers needs: the follow-up policy, the directory to match in, the programme's today and
    how many makers at most."""

    policy: FollowUpPolicy
    directory: Directory
    today: date
    limit: int


def reopen(session: Session, request: Request, actor: str, now: datetime, asking: Asking) -> int:
    """Reopen an expired request and ask the best makers not asked yet; returns how many were asked."""
    if request.status != RequestStatus.EXPIRED:
        raise NotAllowed(texts.CONSOLE_CANNOT_REOPEN.format(code=request.code, status=request.status))
    source = _source(actor, now)
    handlers.reopen_request(session, request, now, asking.policy, source)
    count = _ask_more(session, request, now, asking)
    _tell_buyer(
        session, request, source, lambda t: t.BUYER_REOPENED_BY_ORGANISERS.format(code=request.code, count=count), now
    )
    _audit(session, actor, "request_reopen", request, now, f"{count} makers asked")
    return count


def invite_more(session: Session, request: Request, actor: str, now: datetime, asking: Asking) -> int:
    """Ask up to `asking.limit` more makers about an open request; returns how many were asked (0: nobody else
    fits)."""
    if request.status != RequestStatus.OPEN:
        raise NotAllowed(texts.CONSOLE_CANNOT_INVITE.format(code=request.code, status=request.status))
    count = _ask_more(session, request, now, replace(asking, limit=max(1, min(asking.limit, MAX_MORE))))
    if count:
        source = _source(actor, now)
        _tell_buyer(session, request, source, lambda t: t.BUYER_MORE_MAKERS.format(code=request.code, count=count), now)
    _audit(session, actor, "request_invite", request, now, f"{count} makers asked")
    return count


def _ask_more(session: Session, request: Request, now: datetime, asking: Asking) -> int:
    matches = rematch(session, request, asking.directory, asking.today)
    return len(invite(session, request, matches, now, limit=asking.limit, policy=asking.policy))


def _tell_buyer(
    session: Session, request: Request, source: str, text: Callable[[Catalogue], str], now: datetime
) -> None:
    notices.tell_buyer(session, request, "organisers", f"organisers:{request.id}:{source}", text, None, now)


def _audit(session: Session, actor: str, action: str, request: Request, now: datetime, note: str = "") -> None:
    detail = audit_detail(request.code) + (f": {note}" if note else "")
    session.add(AdminAction(actor=actor, action=action, detail=detail, created_at=now))


def _source(actor: str, now: datetime) -> str:
    """Unique per organiser and moment: the idempotency keys of the messages this action queues."""
    return f"console:{actor}:{int(now.timestamp() * 1000)}"
