"""The reminder tick: claims due reminders under a lease (bot/leases.py) and fires each in its own transaction,
exactly once, whichever of any number of workers ticks. What firing a reminder does is in reminders.py."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database, table_of
from bot.leases import Leases
from bot.models import Reminder, ReminderStatus
from bot.services.followups import FollowUpPolicy
from bot.services.reminders import HANDLERS, Context, Moot, Skip, sweep_freshness
from matching.directory import Directory

# The logger of the reminders, as when the tick lived there: operators filter their lines by it.
log = logging.getLogger("bot.services.reminders")


@dataclass(frozen=True)
class Fired:
    """One reminder that came due: sent (it acted) or skipped, and then why (`why`)."""

    status: str
    outcome: str
    why: Moot | None = None


@dataclass
class TickReport:
    """What a tick did with the reminders that came due: how many acted, and how many were skipped for which
    kind of reason (the sandbox tells its user; a moot reminder otherwise leaves no trace they could see)."""

    sent: int = 0
    skipped: Counter[Moot] = field(default_factory=Counter)

    @property
    def fired(self) -> int:
        return self.sent + self.skipped.total()

    def add(self, fired: Fired) -> None:
        if fired.why is None:
            self.sent += 1
        else:
            self.skipped[fired.why] += 1


@dataclass
class Ticker:
    """Claims due reminders under a lease and fires each in its own transaction, exactly once."""

    db: Database
    policy: FollowUpPolicy
    directory: Callable[[], Directory]
    owner: str = "ticker"
    lease: timedelta = timedelta(minutes=2)
    batch: int = 200
    # Set at shutdown: the tick stops between two reminders and hands back the ones it claimed but did not fire.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def leases(self) -> Leases:
        return Leases(table_of(Reminder), self.owner, held=ReminderStatus.PENDING)

    def claim(self, now: datetime) -> list[int]:
        r = Reminder
        with self.db.transaction() as session:
            query = (
                select(r.id)
                .where(
                    r.status == ReminderStatus.PENDING,
                    r.due_at <= now,
                    sa.or_(col(r.lease_until).is_(None), col(r.lease_until) < now),
                )
                .order_by(col(r.due_at), col(r.id))
                .limit(self.batch)
            )
            # A primary key read back is never NULL; the model says `int | None` for rows not saved yet.
            ids = cast(list[int], list(session.exec(self.leases.lock(session, query)).all()))
            if ids:
                self.leases.take(session, ids, now + self.lease)
        return ids

    def fire(self, reminder_id: int, now: datetime) -> Fired | None:
        """Fire one claimed reminder in its own transaction; None if it was not ours to fire, or will be retried."""
        try:
            with self.db.transaction() as session:
                query = select(Reminder).where(
                    Reminder.id == reminder_id,
                    Reminder.status == ReminderStatus.PENDING,
                    Reminder.lease_owner == self.owner,
                )
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update()
                reminder = session.exec(query).first()
                if reminder is None:
                    return None  # fired by another worker after our lease ran out, or cancelled meanwhile
                ctx = Context(
                    session,
                    now,
                    self.policy,
                    self.directory,
                    event=f"reminder{reminder.id}",
                )
                try:
                    fired = Fired(ReminderStatus.SENT, HANDLERS[reminder.kind](ctx, reminder))
                except Skip as skip:
                    fired = Fired(ReminderStatus.SKIPPED, f"skipped: {skip}", skip.why)
                reminder.status, reminder.outcome, reminder.fired_at = fired.status, fired.outcome[:200], now
                reminder.lease_owner = reminder.lease_until = None
                return fired
        except (sa.exc.OperationalError, sa.exc.IntegrityError):
            # A race with another transaction or a database blip: the lease runs out and it is tried again.
            log.warning("reminders: reminder %s hit a conflict; it will be retried", reminder_id, exc_info=True)
            return None
        except Exception as error:
            log.exception("reminders: reminder %s failed; it will not be retried", reminder_id)
            table = table_of(Reminder)
            with self.db.transaction() as session:
                session.execute(
                    sa.update(table)
                    .where(table.c.id == reminder_id)
                    .values(status=ReminderStatus.SKIPPED, outcome=f"error: {type(error).__name__}"[:200], fired_at=now)
                )
            return Fired(ReminderStatus.SKIPPED, f"error: {type(error).__name__}", Moot.ERROR)

    def tick(self, now: datetime) -> TickReport:
        """One pass: sweep for stale listings, then fire what is due. Reports what the fired reminders did."""
        with self.db.transaction() as session:
            sweep_freshness(session, self.policy, now)
        report = TickReport()
        while not self.stopping.is_set():
            ids = self.claim(now)
            for position, reminder_id in enumerate(ids):
                if self.stopping.is_set():
                    self.release(ids[position:])
                    return report
                if (fired := self.fire(reminder_id, now)) is not None:
                    report.add(fired)
            if len(ids) < self.batch:
                return report
        return report

    def release(self, ids: list[int]) -> None:
        """Give claimed reminders back at once, so another worker need not wait for the lease to run out."""
        if not ids:
            return
        with self.db.transaction() as session:
            self.leases.release(session, ids)
