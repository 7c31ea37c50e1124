"""The web app: provider webhooks, health and metrics, with the background work (the dispatcher) tied to its
lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import texts
from bot.channels.sandbox import SandboxChannel
from bot.channels.sms import TwilioWebhooks
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.db import Database
from bot.media import MediaLinks, MediaStore, content_type_of
from bot.metrics import CONTENT_TYPE, Metrics, TimedRoutes
from bot.models import MessageStatus, OutboundMessage, Reminder, ReminderStatus, as_utc, utcnow
from bot.outbox import Dispatcher

Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]  # a coroutine: each runs as an asyncio task
DISPATCHER_STALE = timedelta(seconds=30)  # a dispatcher showing no progress for this long counts as dead
OUTBOX_BEHIND = timedelta(minutes=5)  # due messages this late: "outbox": "behind" (reported, not a 503)
# At SIGTERM, how long requests under way may take to be answered before they are cut off. Without a bound, one
# client that never finishes sending its request keeps the process up until SIGKILL. A webhook cut off while
# its work runs in a thread still has that work finished (and committed) before the process exits.
REQUEST_GRACE_SECONDS = 3  # whole seconds: uvicorn's timeout_graceful_shutdown takes an int
log = logging.getLogger(__name__)


def create_app(
    db: Database,
    *,
    twilio: TwilioWebhooks | None = None,
    telegram: TelegramChannel | None = None,
    sandbox: SandboxChannel | None = None,
    dispatcher: Dispatcher | None = None,
    background: Sequence[Background] | None = None,
    on_startup: Sequence[Callable[[], Awaitable[None]]] | None = None,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] | None = None,
    console: ASGIApp | None = None,
    media: MediaFiles | None = None,
) -> Starlette:
    """The Starlette app. At start-up `on_startup` runs in order, then the `background` jobs start; at shutdown
    the jobs get `stop` set and are awaited, then `on_shutdown` runs. `console`: the organisers' console
    (bot/console/), mounted at /console."""

    metrics = Metrics(db, last_loop_at=(lambda: dispatcher.last_loop_at) if dispatcher is not None else None)

    async def healthz(request: Request) -> JSONResponse:
        report = await run_in_threadpool(_health, db, dispatcher)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    async def metrics_page(request: Request) -> Response:
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE)

    webhooks: list[Route] = []  # the providers' calls: only these are timed and logged as webhooks
    if twilio is not None:
        webhooks += [
            Route("/twilio/sms", twilio.sms, methods=["POST"]),
            Route("/twilio/status", twilio.status, methods=["POST"]),
        ]
    if telegram is not None:
        webhooks.append(Route(WEBHOOK_PATH, telegram.webhook, methods=["POST"]))
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        *webhooks,
    ]
    if media is not None:
        routes.append(Route("/media/{token}", media.serve, methods=["GET", "HEAD"]))
    if sandbox is not None:
        routes += sandbox.routes()
    if console is not None:
        routes.append(Mount("/console", app=console))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        for start in on_startup or []:
            await start()
        tasks = [asyncio.create_task(job(stop)) for job in background or []]
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                try:
                    await asyncio.wait_for(task, timeout=30)
                except Exception:
                    log.exception("web: a background job did not stop cleanly")
            for close in on_shutdown or []:
                try:
                    await close()
                except Exception:
                    log.exception("web: a shutdown step failed")

    webhook_paths = frozenset(route.path for route in webhooks)
    middleware = [Middleware(TimedRoutes, metrics=metrics, routes=webhook_paths), Middleware(CutOffAtShutdown)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


class MediaFiles:
    """GET /media/<token>: a stored picture, only through a signed link that has not expired (bot/media.py). A
    forged, altered or expired link, or a file retention deleted, gets the same bare 404: nothing says which."""

    def __init__(self, store: MediaStore, links: MediaLinks) -> None:
        self.store = store
        self.links = links

    async def serve(self, request: Request) -> Response:
        key = self.links.key_of(request.path_params.get("token", ""))
        data = await run_in_threadpool(self.store.read, key) if key is not None else None
        if key is None or data is None:
            return Response(status_code=404)  # no body, no detail; and the token is never logged
        headers = {
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
        content_type = content_type_of(key)
        if content_type == "application/pdf":
            headers["Content-Disposition"] = 'attachment; filename="drawing.pdf"'
        return Response(data, media_type=content_type, headers=headers)


class CutOffAtShutdown:
    """ASGI middleware: a request cut off at shutdown (uvicorn cancels those still open after its grace) is
    answered 503 with one log line, rather than a 500 and a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            if started:
                raise
            log.warning("web: %s %s still open at shutdown; answered 503", scope.get("method"), scope.get("path"))
            response = PlainTextResponse(texts.HTTP_SHUTTING_DOWN, status_code=503, headers={"Connection": "close"})
            await response(scope, receive, send)


def _health(db: Database, dispatcher: Dispatcher | None) -> dict:
    """Unhealthy (503) only for what restarting this process could mend: no database, or its own dispatcher
    stalled. A backlog is reported, never fatal: quiet hours hold bulk SMS overnight by design, and a web-only
    process cannot clear a queue the workers own. `outbox_lag_seconds` (how late the most overdue due message
    is) is the number to alert on."""
    report: dict = {"ok": True, "database": "ok"}
    now = utcnow()
    try:
        with db.read() as session:
            m, r = OutboundMessage, Reminder
            waiting = col(m.status).in_((MessageStatus.QUEUED, MessageStatus.ERRORED))
            depth, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(m.created_at)).where(waiting)).one()
            overdue = session.execute(
                sa.select(sa.func.min(m.next_attempt_at)).where(waiting, col(m.next_attempt_at) <= now)
            ).scalar_one()
            reminders_due = session.execute(
                sa.select(sa.func.count())
                .select_from(r)
                .where(col(r.status) == ReminderStatus.PENDING, col(r.due_at) <= now)
            ).scalar_one()
    except sa.exc.SQLAlchemyError:
        return {"ok": False, "database": "unreachable"}
    report["outbox_depth"] = depth
    report["oldest_queued_seconds"] = _seconds_since(now, oldest)
    report["outbox_lag_seconds"] = _seconds_since(now, overdue)
    report["outbox"] = "behind" if report["outbox_lag_seconds"] > OUTBOX_BEHIND.total_seconds() else "ok"
    report["reminders_due"] = reminders_due
    if dispatcher is not None:
        seen = dispatcher.last_loop_at
        alive = seen is not None and utcnow() - as_utc(seen) < DISPATCHER_STALE
        report["dispatcher"] = "ok" if alive else "stalled"
        report["ok"] = alive
    return report


def _seconds_since(now, then) -> int:
    return max(0, int((now - as_utc(then)).total_seconds())) if then is not None else 0
