"""When follow-ups come due: the delays (`FollowUpPolicy`), and the reminder rows a state change schedules or
cancels in its own transaction (see bot/services/handlers.py). Firing them is bot/services/reminders.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import insert_skipping_conflicts, saved_id, table_of
from bot.models import Invitation, Reminder, ReminderStatus, Request, as_utc
from matching import geo

# Every request sent to makers gets this follow-up when it opens, and the row stays whatever becomes of the request:
# it tells a request that was sent from a draft that never was (bot/services/impact.py counts only the former).
REQUEST_EXPIRE = "request_expire"


@dataclass(frozen=True)
class FollowUpPolicy:
    """The delays, all configurable (MAKERLINK_*; see docs/follow-ups.md)."""

    nudge_maker_after: timedelta = timedelta(hours=4)
    expire_invitation_after: timedelta = timedelta(hours=24)
    nudge_buyer_after: timedelta = timedelta(hours=24)
    quiet_request_after: timedelta = timedelta(days=3)
    checkin_maker_before: timedelta = timedelta(days=2)
    checkin_buyer_after: timedelta = timedelta(days=1)
    expire_request_after: timedelta = timedelta(days=14)
    freshness: timedelta = timedelta(days=28)
    freshness_grace: timedelta = timedelta(days=7)
    ask_again_after: timedelta = timedelta(days=2)  # "not yet" from the buyer

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowUpPolicy:
        return cls(
            nudge_maker_after=timedelta(hours=settings.nudge_maker_after_hours),
            expire_invitation_after=timedelta(hours=settings.expire_invitation_after_hours),
            nudge_buyer_after=timedelta(hours=settings.nudge_buyer_after_hours),
            quiet_request_after=timedelta(days=settings.quiet_request_after_days),
            checkin_maker_before=timedelta(days=settings.checkin_maker_days_before),
            checkin_buyer_after=timedelta(days=settings.checkin_buyer_days_after),
            ask_again_after=timedelta(days=settings.checkin_buyer_again_days),
            expire_request_after=timedelta(days=settings.expire_request_after_days),
            freshness=timedelta(days=settings.freshness_days),
            freshness_grace=timedelta(days=settings.freshness_grace_days),
        )


# ── scheduling, from the services' transactions ──

# What a reminder's target_id names, by kind (freshness reminders name a maker).
REQUEST_REMINDERS = ("buyer_nudge", "request_quiet", REQUEST_EXPIRE)
INVITATION_REMINDERS = ("invite_nudge", "invite_expire", "maker_checkin", "buyer_checkin")


def schedule(
    session: Session, kind: str, target_id: int, due_at: datetime, now: datetime, key: str | None = None
) -> None:
    """Add a pending reminder; the same key twice is one reminder."""
    table = table_of(Reminder)
    insert = insert_skipping_conflicts(session, table, "key").values(
        key=(key or f"{kind}:{target_id}")[:120],
        kind=kind,
        target_id=target_id,
        due_at=due_at,
        status=ReminderStatus.PENDING.value,
        created_at=now,
    )
    session.execute(insert)


def cancel(session: Session, kinds: tuple[str, ...], target_id: int, reason: str) -> None:
    """The state change made these moot: they will not fire."""
    table = table_of(Reminder)
    session.execute(
        sa.update(table)
        .where(table.c.kind.in_(kinds), table.c.target_id == target_id, table.c.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED.value, outcome=reason[:200])
    )


def on_invited(session: Session, invitation: Invitation, policy: FollowUpPolicy, now: datetime) -> None:
    schedule(session, "invite_nudge", saved_id(invitation), now + policy.nudge_maker_after, now)
    schedule(session, "invite_expire", saved_id(invitation), now + policy.expire_invitation_after, now)


def on_reopened(session: Session, request: Request, policy: FollowUpPolicy, now: datetime) -> None:
    """A reopened request gets its follow-ups afresh: the spent ones free their keys."""
    table = table_of(Reminder)
    session.execute(
        sa.update(table)
        .where(
            table.c.kind.in_(REQUEST_REMINDERS),
            table.c.target_id == request.id,
            table.c.status != ReminderStatus.PENDING,
        )
        .values(key=sa.func.substr(table.c.key + ":" + sa.cast(table.c.id, sa.String), 1, 120))
    )
    schedule(session, REQUEST_EXPIRE, saved_id(request), now + policy.expire_request_after, now)


def on_late(session: Session, invitation: Invitation, days: int) -> None:
    """LATE 3: the buyer's "did it arrive?" moves back as many days."""
    pending = session.exec(
        select(Reminder).where(
            Reminder.kind == "buyer_checkin",
            Reminder.target_id == invitation.id,
            Reminder.status == ReminderStatus.PENDING,
        )
    ).all()
    for reminder in pending:
        reminder.due_at = as_utc(reminder.due_at) + timedelta(days=days)


def order_due(invitation: Invitation, request: Request, accepted_at: datetime) -> datetime:
    """When an order is due: the request's deadline, or else the maker's lead time (a week if they named none)."""
    return due_at(request.deadline, request.zip, invitation.lead_time_days, accepted_at)


def due_at(deadline: date | None, zip_code: str | None, lead_time_days: int | None, accepted_at: datetime) -> datetime:
    """order_due from the columns it reads, for a list that must not load whole rows (the console's Today)."""
    if deadline is not None:
        # The deadline is a date where the goods are needed: the end of that working day, there.
        place = geo.lookup_zip(zip_code) if zip_code else None
        zone = ZoneInfo(place.timezone) if place and place.timezone else UTC
        return datetime.combine(deadline, time(17, 0), tzinfo=zone).astimezone(UTC)
    return accepted_at + timedelta(days=lead_time_days or 7)


def on_answered(session: Session, invitation: Invitation) -> None:
    cancel(session, ("invite_nudge", "invite_expire"), saved_id(invitation), "the maker answered")


def on_quoted(session: Session, request: Request, policy: FollowUpPolicy, now: datetime) -> None:
    if request.buyer_id is not None:
        schedule(session, "buyer_nudge", saved_id(request), now + policy.nudge_buyer_after, now)


def on_opened(session: Session, request: Request, policy: FollowUpPolicy, now: datetime) -> None:
    schedule(session, REQUEST_EXPIRE, saved_id(request), now + policy.expire_request_after, now)


def on_accepted(
    session: Session, invitation: Invitation, request: Request, policy: FollowUpPolicy, now: datetime
) -> None:
    """The maker is asked before the deadline, the buyer after it (or, without one, around the lead time)."""
    deadline = order_due(invitation, request, now)
    maker_at = max(now + timedelta(hours=1), deadline - policy.checkin_maker_before)
    schedule(session, "maker_checkin", saved_id(invitation), maker_at, now)
    schedule(session, "buyer_checkin", saved_id(invitation), max(deadline + policy.checkin_buyer_after, maker_at), now)
