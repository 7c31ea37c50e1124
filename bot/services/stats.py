"""What is happening in the network, in numbers: the same figures for /stats, `makerlink stats` and /metrics."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import Broadcast, Invitation, Maker, MakerStatus, OutboundMessage, Request, as_utc
from bot.services.broadcasts import ALERT
from bot.services.orders import RequestStatus


def collect(db: Database) -> dict[str, Any]:
    with db.read() as session:
        return collect_in(session)


def collect_in(session: Session) -> dict[str, Any]:
    """The figures, read in the caller's session."""
    makers = dict(session.exec(select(Maker.status, sa.func.count()).group_by(Maker.status)).all())
    requests = dict(
        session.exec(
            select(Request.status, sa.func.count())
            .where(Request.status != RequestStatus.DRAFT)
            .group_by(Request.status)
        ).all()
    )
    messages = dict(
        session.exec(select(OutboundMessage.status, sa.func.count()).group_by(OutboundMessage.status)).all()
    )
    invited = session.exec(select(sa.func.count()).select_from(Invitation)).one()
    answered = session.exec(
        select(sa.func.count()).select_from(Invitation).where(col(Invitation.answered_at).is_not(None))
    ).one()
    first_answers = session.exec(
        select(Request.created_at, sa.func.min(Invitation.answered_at))
        .join(Invitation, col(Invitation.request_id) == Request.id)
        .where(col(Invitation.answered_at).is_not(None))
        .group_by(col(Request.id), col(Request.created_at))
    ).all()
    broadcasts = session.exec(select(Broadcast).order_by(col(Broadcast.id).desc()).limit(10)).all()
    outcome = {
        b_id: dict(counts)
        for b_id, counts in _by_broadcast(
            session.exec(
                select(col(OutboundMessage.broadcast_id), col(OutboundMessage.status), sa.func.count())
                .where(
                    col(OutboundMessage.broadcast_id).in_([b.id for b in broadcasts]),
                    OutboundMessage.purpose == ALERT,
                )
                .group_by(col(OutboundMessage.broadcast_id), col(OutboundMessage.status))
            ).all()
        ).items()
    }
    waits = [
        (as_utc(answered_at) - as_utc(created)).total_seconds() / 60
        for created, answered_at in first_answers
        if answered_at is not None
    ]
    return {
        "makers": {status: makers.get(status, 0) for status in MakerStatus},
        "requests": {status: requests.get(status, 0) for status in RequestStatus if status != RequestStatus.DRAFT},
        "median_minutes_to_first_answer": round(statistics.median(waits), 1) if waits else None,
        "answer_rate": round(answered / invited, 3) if invited else None,
        "messages": messages,
        "broadcasts": [
            {"id": b.id, "status": b.status, "recipients": b.recipients, "messages": outcome.get(b.id, {})}
            for b in broadcasts
        ],
    }


def _by_broadcast(rows: Iterable[tuple[int | None, str, int]]) -> dict[int | None, list[tuple[str, int]]]:
    grouped: dict[int | None, list[tuple[str, int]]] = {}
    for broadcast_id, status, count in rows:
        grouped.setdefault(broadcast_id, []).append((status, count))
    return grouped


def weekly(session: Session, weeks: int, now: datetime, timezone: str) -> list[tuple[date, int, int, int]]:
    """Requests made, maker answers and orders taken per week (weeks start on Monday, in `timezone`), the last
    `weeks` weeks, oldest first: (Monday, requests, answers, orders)."""
    zone = ZoneInfo(timezone)
    this_monday = now.astimezone(zone).date() - timedelta(days=now.astimezone(zone).weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    # Each week's first instant in UTC, so the database counts by week without knowing the time zone.
    starts = [datetime.combine(monday, datetime.min.time(), tzinfo=zone).astimezone(UTC) for monday in mondays]
    counts = {monday: [0, 0, 0] for monday in mondays}
    moments: tuple[tuple[Any, sa.ColumnElement[bool]], ...] = (
        (col(Request.created_at), col(Request.status) != RequestStatus.DRAFT),
        (col(Invitation.answered_at), sa.true()),
        (col(Invitation.accepted_at), sa.true()),
    )
    for index, (moment, condition) in enumerate(moments):
        week = sa.case(
            *((moment >= start, position) for position, start in reversed(list(enumerate(starts)))), else_=-1
        )
        within = sa.and_(moment >= starts[0], moment < starts[-1] + timedelta(weeks=1))
        query = sa.select(week, sa.func.count()).where(condition, within).group_by(week)
        for position, count in session.execute(query).all():
            if 0 <= position < len(mondays):
                counts[mondays[position]][index] += count
    return [(monday, counts[monday][0], counts[monday][1], counts[monday][2]) for monday in mondays]
