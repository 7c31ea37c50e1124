"""Prometheus metrics for /metrics: database figures read at scrape time, latencies measured in this process.

Each web app gets its own registry, so several apps (tests, or serve's one process) never collide. The match
latency histogram belongs to the process (matching runs in services, wherever they are called from) and is
registered into every app's registry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlmodel import col

from bot.db import Database
from bot.logs import request_id
from bot.models import MessageStatus, OutboundMessage, Reminder, ReminderStatus, as_utc, utcnow
from bot.services import stats as stats_service

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web")

CONTENT_TYPE = CONTENT_TYPE_LATEST
_DUE = (MessageStatus.QUEUED, MessageStatus.ERRORED)
_ERRORS = (MessageStatus.ERRORED, MessageStatus.FAILED)

MATCH_SECONDS = Histogram(
    "makerlink_match_seconds",
    "Time to parse a request and rank the makers for it (this process).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=None,
)


class DatabaseCollector(Collector):
    """Figures read from the database at each scrape, with a handful of aggregate queries in one read."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # the families depend on the data; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("makerlink_database_up", "1 when this scrape could read the database, else 0.")
        started = time.perf_counter()
        try:
            families = self._read()
        except sa.exc.SQLAlchemyError as error:
            log.warning("metrics: the database could not be read (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        took = GaugeMetricFamily("makerlink_metrics_query_seconds", "How long this scrape's database queries took.")
        took.add_metric([], time.perf_counter() - started)
        yield took

    def _read(self) -> list[Metric]:
        now = self.clock()
        m, r = OutboundMessage, Reminder
        with self.db.read() as session:
            by_status = session.execute(
                sa.select(col(m.channel), col(m.status), sa.func.count()).group_by(m.channel, m.status)
            ).all()
            queued = session.execute(
                sa.select(col(m.channel), sa.func.count(), sa.func.min(m.created_at))
                .where(col(m.status).in_(_DUE))
                .group_by(m.channel)
            ).all()
            due = session.execute(
                sa.select(col(m.channel), sa.func.count(), sa.func.min(m.next_attempt_at))
                .where(col(m.status).in_(_DUE), col(m.next_attempt_at) <= now)
                .group_by(m.channel)
            ).all()
            errors = session.execute(
                sa.select(col(m.channel), col(m.error_code), sa.func.count())
                .where(col(m.status).in_(_ERRORS), col(m.error_code).is_not(None))
                .group_by(col(m.channel), col(m.error_code))
            ).all()
            reminders_due = session.execute(
                sa.select(sa.func.count())
                .select_from(r)
                .where(col(r.status) == ReminderStatus.PENDING, col(r.due_at) <= now)
            ).scalar_one()
            reminders_pending = session.execute(
                sa.select(sa.func.count()).select_from(r).where(col(r.status) == ReminderStatus.PENDING)
            ).scalar_one()
            figures = stats_service.collect_in(session)

        messages = GaugeMetricFamily(
            "makerlink_messages",
            "Outbound messages in the database, by channel and status.",
            labels=["channel", "status"],
        )
        for channel, status, count in by_status:
            messages.add_metric([channel, status], count)
        depth = GaugeMetricFamily(
            "makerlink_outbox_queue_depth",
            "Messages waiting to be sent (queued, or errored and due for a retry), including those held for "
            "quiet hours.",
            labels=["channel"],
        )
        oldest = GaugeMetricFamily(
            "makerlink_outbox_oldest_queued_seconds",
            "Age of the oldest waiting message; grows overnight while quiet hours hold bulk SMS.",
            labels=["channel"],
        )
        for channel, count, first in queued:
            depth.add_metric([channel], count)
            oldest.add_metric([channel], _age(now, first))
        due_now = GaugeMetricFamily(
            "makerlink_outbox_due", "Waiting messages whose time to go has come (not held).", labels=["channel"]
        )
        lag = GaugeMetricFamily(
            "makerlink_outbox_lag_seconds",
            "How late the most overdue due message is: near 0 while the workers keep up.",
            labels=["channel"],
        )
        for channel, count, first in due:
            due_now.add_metric([channel], count)
            lag.add_metric([channel], _age(now, first))
        failed = GaugeMetricFamily(
            "makerlink_message_errors",
            "Messages that failed, or errored and wait for a retry, by channel and error code.",
            labels=["channel", "code"],
        )
        for channel, code, count in errors:
            failed.add_metric([channel, code], count)
        reminders = GaugeMetricFamily("makerlink_reminders_due", "Pending reminders whose due time has passed.")
        reminders.add_metric([], reminders_due)
        pending = GaugeMetricFamily("makerlink_reminders_pending", "Reminders not fired yet, due or not.")
        pending.add_metric([], reminders_pending)
        return [messages, depth, oldest, due_now, lag, failed, reminders, pending, *_stats_families(figures)]


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - as_utc(then)).total_seconds()) if then is not None else 0.0


def _stats_families(figures: dict) -> list[Metric]:
    """The numbers of /stats and `makerlink stats` (bot/services/stats.py), as metrics."""
    makers = GaugeMetricFamily("makerlink_makers", "Makers by status: active, paused, stopped.", labels=["status"])
    for status, count in figures["makers"].items():
        makers.add_metric([status], count)
    requests = GaugeMetricFamily(
        "makerlink_requests", "Buyers' requests by status (drafts not counted).", labels=["status"]
    )
    for status, count in figures["requests"].items():
        requests.add_metric([status], count)
    families: list[Metric] = [makers, requests]
    median = figures["median_minutes_to_first_answer"]
    if median is not None:
        first = GaugeMetricFamily(
            "makerlink_first_answer_median_seconds",
            "Median time from a request being opened to the first maker's answer.",
        )
        first.add_metric([], median * 60)
        families.append(first)
    if figures["answer_rate"] is not None:
        rate = GaugeMetricFamily("makerlink_answer_rate", "Share of invitations a maker answered (0 to 1).")
        rate.add_metric([], figures["answer_rate"])
        families.append(rate)
    broadcasts = GaugeMetricFamily(
        "makerlink_broadcast_messages",
        "The ten latest broadcasts' messages, by broadcast id, broadcast status and message status.",
        labels=["broadcast", "broadcast_status", "status"],
    )
    for broadcast in figures["broadcasts"]:
        for status, count in broadcast["messages"].items():
            broadcasts.add_metric([str(broadcast["id"]), broadcast["status"], status], count)
    families.append(broadcasts)
    return families


class DispatcherCollector(Collector):
    """This process's dispatcher, when it has one: how long since its loop last came round."""

    def __init__(self, last_loop_at: Callable[[], datetime | None]) -> None:
        self.last_loop_at = last_loop_at

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        seen = self.last_loop_at()
        if seen is None:
            return
        age = GaugeMetricFamily(
            "makerlink_dispatcher_loop_age_seconds",
            "Seconds since this process's dispatcher last showed progress; /healthz fails past 30.",
        )
        age.add_metric([], _age(utcnow(), seen))
        yield age


class Metrics:
    """One app's metrics: its registry, and the webhook histogram its middleware fills."""

    def __init__(self, db: Database, *, last_loop_at: Callable[[], datetime | None] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhook_seconds = Histogram(
            "makerlink_webhook_seconds",
            "Time to answer a webhook (this process), by route.",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "makerlink_webhook_requests",
            "Webhook requests answered (this process), by route and HTTP status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.registry.register(MATCH_SECONDS)
        self.registry.register(DatabaseCollector(db))
        if last_loop_at is not None:
            self.registry.register(DispatcherCollector(last_loop_at))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class TimedRoutes:
    """ASGI middleware: times the webhooks and logs one line per webhook request, under a request id."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        header = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        token = request_id.set(_clean_request_id(header) or _new_request_id())
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            took = time.perf_counter() - started
            if path in self.routes:
                self.metrics.webhook_seconds.labels(path).observe(took)
                self.metrics.webhook_requests.labels(path, str(status)).inc()
                access_log.info("%s %s %s %.1fms", scope.get("method"), path, status, took * 1000)
            request_id.reset(token)


def _clean_request_id(value: str) -> str:
    value = value.strip()[:64]
    return value if value and all(c.isalnum() or c in "-_.:" for c in value) else ""


def _new_request_id() -> str:
    import secrets

    return secrets.token_hex(6)
