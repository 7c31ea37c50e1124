"""What organisers look at in the console: what is waiting today, and one request with everything around it.

Read only; the rules it lists by (when an order is due, when a maker has gone quiet, what a reminder's target is)
are the follow-ups' own, imported, not restated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import (
    AdminAction,
    Buyer,
    InboundMessage,
    Invitation,
    Maker,
    MessageStatus,
    OutboundMessage,
    Reminder,
    ReminderStatus,
    Request,
    as_utc,
)
from bot.services.followups import INVITATION_REMINDERS, REQUEST_REMINDERS, FollowUpPolicy, due_at
from bot.services.orders import InvitationStatus, RequestStatus
from bot.services.reminders import gone_quiet, last_heard
from bot.services.requests import RequestView

MAX_LISTED = 50  # each list of the Today page; the page says how many more there are
FAILED_WITHIN = timedelta(days=7)
DUE_WITHIN = timedelta(days=7)
HISTORY_LIMIT = 300


@dataclass(frozen=True)
class Waiting:
    """An open request with makers who have not answered yet."""

    request: Request
    waiting: int
    since: datetime


@dataclass(frozen=True)
class Order:
    invitation: Invitation
    request: Request
    maker: Maker
    due: datetime


T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    rows: list[T]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Today:
    waiting: Listed[Waiting]
    quotes: Listed[tuple[Invitation, Request, Maker]]
    due: Listed[Order]
    failed: Listed[tuple[OutboundMessage, str | None]]
    quiet: Listed[Maker]


def today(session: Session, policy: FollowUpPolicy, now: datetime) -> Today:
    return Today(
        waiting=_waiting(session),
        quotes=_quotes(session),
        due=_due(session, now),
        failed=_failed(session, now),
        quiet=_quiet(session, policy, now),
    )


def _waiting(session: Session) -> Listed[Waiting]:
    query = (
        select(Request, sa.func.count(), sa.func.min(Invitation.invited_at))
        .join(Invitation, col(Invitation.request_id) == Request.id)
        .where(Request.status == RequestStatus.OPEN, Invitation.status == InvitationStatus.INVITED)
        .group_by(col(Request.id))
        .order_by(sa.func.min(Invitation.invited_at))
    )
    rows = session.exec(query.limit(MAX_LISTED)).all()
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    return Listed([Waiting(r, n, as_utc(since)) for r, n, since in rows], int(total))


def _quotes(session: Session) -> Listed[tuple[Invitation, Request, Maker]]:
    where = (Invitation.status == InvitationStatus.QUOTED, Request.status == RequestStatus.OPEN)
    query = (
        select(Invitation, Request, Maker)
        .join(Request, col(Request.id) == Invitation.request_id)
        .join(Maker, col(Maker.id) == Invitation.maker_id)
        .where(*where)
        .order_by(col(Invitation.answered_at))
    )
    rows = [(i, r, m) for i, r, m in session.exec(query.limit(MAX_LISTED)).all()]
    count = select(sa.func.count()).select_from(Invitation).join(Request, col(Request.id) == Invitation.request_id)
    return Listed(rows, int(session.exec(count.where(*where)).one()))


def _due(session: Session, now: datetime) -> Listed[Order]:
    """Orders under way due within a week, or overdue; soonest first. The due dates come from a few columns of
    every order under way; only the listed ones are loaded whole."""
    columns = (Invitation.id, Invitation.lead_time_days, Invitation.accepted_at, Invitation.updated_at)
    light = session.execute(
        sa.select(*(col(c) for c in columns), col(Request.deadline), col(Request.zip))
        .join(Request, col(Request.id) == col(Invitation.request_id))
        .where(col(Invitation.status) == InvitationStatus.ACCEPTED)
    ).all()
    due: dict[int, datetime] = {}
    for invitation_id, lead_time, accepted_at, updated_at, deadline, zip_code in light:
        when = due_at(deadline, zip_code, lead_time, as_utc(accepted_at or updated_at))
        if when <= now + DUE_WITHIN and invitation_id is not None:
            due[invitation_id] = when
    listed = sorted(due, key=lambda invitation_id: due[invitation_id])[:MAX_LISTED]
    rows = session.exec(
        select(Invitation, Request, Maker)
        .join(Request, col(Request.id) == Invitation.request_id)
        .join(Maker, col(Maker.id) == Invitation.maker_id)
        .where(col(Invitation.id).in_(listed))
    ).all()
    orders = [Order(invitation, request, maker, due[invitation.id or 0]) for invitation, request, maker in rows]
    orders.sort(key=lambda order: order.due)
    return Listed(orders, len(due))


def _failed(session: Session, now: datetime) -> Listed[tuple[OutboundMessage, str | None]]:
    """Messages given up on this week, newest first, with the code of the request each was about."""
    where = (OutboundMessage.status == MessageStatus.FAILED, col(OutboundMessage.updated_at) >= now - FAILED_WITHIN)
    rows = session.exec(
        select(OutboundMessage, Request.code)
        .outerjoin(Request, col(Request.id) == OutboundMessage.request_id)
        .where(*where)
        .order_by(col(OutboundMessage.id).desc())
        .limit(MAX_LISTED)
    ).all()
    total = session.exec(select(sa.func.count()).select_from(OutboundMessage).where(*where)).one()
    return Listed([(m, code) for m, code in rows], int(total))


def _quiet(session: Session, policy: FollowUpPolicy, now: datetime) -> Listed[Maker]:
    where = gone_quiet(policy, now)
    rows = session.exec(select(Maker).where(*where).order_by(last_heard()).limit(MAX_LISTED)).all()
    total = session.exec(select(sa.func.count()).select_from(Maker).where(*where)).one()
    return Listed(list(rows), int(total))


# ── one request ──


@dataclass(frozen=True)
class Line:
    """One message of a request's history, either way."""

    at: datetime
    outgoing: bool
    who: str  # "buyer", a maker's name, or the channel's address
    text: str
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class RequestPage:
    view: RequestView
    buyer: Buyer | None
    reminders: list[tuple[Reminder, str]]  # pending, soonest first, with whom they concern
    history: list[Line]
    audit: list[AdminAction]


def audit_detail(code: str) -> str:
    """How the admin audit names a request, so its page finds what organisers did to it."""
    return f"request {code}"


def request_page(session: Session, view: RequestView) -> RequestPage:
    request = view.request
    buyer = session.get(Buyer, request.buyer_id) if request.buyer_id else None
    makers = {invitation.id: maker for invitation, maker in view.invitations}
    reminders = session.exec(
        select(Reminder)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            sa.or_(
                sa.and_(col(Reminder.kind).in_(REQUEST_REMINDERS), col(Reminder.target_id) == request.id),
                sa.and_(col(Reminder.kind).in_(INVITATION_REMINDERS), col(Reminder.target_id).in_(list(makers))),
            ),
        )
        .order_by(col(Reminder.due_at))
    ).all()
    concerning = [
        (r, makers[r.target_id].name if r.kind in INVITATION_REMINDERS and r.target_id in makers else "buyer")
        for r in reminders
    ]
    audit = session.exec(
        select(AdminAction)
        .where(col(AdminAction.detail).startswith(audit_detail(request.code)))
        .order_by(col(AdminAction.id).desc())
    ).all()
    return RequestPage(view, buyer, concerning, _history(session, request, buyer, view), list(audit))


def _history(session: Session, request: Request, buyer: Buyer | None, view: RequestView) -> list[Line]:
    """What was sent about the request, and what the buyer and its makers wrote since it was made."""
    names = {maker.phone: maker.name for _, maker in view.invitations}
    by_id = {maker.id: maker.name for _, maker in view.invitations}
    sent = session.exec(
        select(OutboundMessage)
        .where(OutboundMessage.request_id == request.id)
        .order_by(col(OutboundMessage.id))
        .limit(HISTORY_LIMIT)
    ).all()
    lines = [
        Line(
            at=as_utc(m.created_at),
            outgoing=True,
            who=by_id.get(m.maker_id or 0) or ("buyer" if m.buyer_id else m.address),
            text=m.text,
            status=m.status,
            reason=m.error_reason,
        )
        for m in sent
    ]
    senders = dict(names)
    if buyer is not None and buyer.telegram_user_id is not None:
        senders[str(buyer.telegram_user_id)] = "buyer"
    received = session.exec(
        select(InboundMessage)
        .where(col(InboundMessage.sender).in_(list(senders)), col(InboundMessage.received_at) >= request.created_at)
        .order_by(col(InboundMessage.id))
        .limit(HISTORY_LIMIT)
    ).all()
    lines += [
        Line(at=as_utc(m.received_at), outgoing=False, who=senders[m.sender], text=m.text, status=m.status)
        for m in received
    ]
    return sorted(lines, key=lambda line: line.at)
