"""The web app: provider webhooks and health, with the background work (the dispatcher) tied to its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels.sandbox import SandboxChannel
from bot.channels.sms import TwilioWebhooks
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from bot.db import Database
from bot.models import OutboundMessage, as_utc, utcnow
from bot.outbox import Dispatcher

Background = Callable[[asyncio.Event], Awaitable[None]]
DISPATCHER_STALE = timedelta(seconds=30)  # a dispatcher loop not seen for this long counts as dead
log = logging.getLogger(__name__)


def create_app(
    db: Database,
    *,
    twilio: TwilioWebhooks | None = None,
    telegram: TelegramChannel | None = None,
    sandbox: SandboxChannel | None = None,
    dispatcher: Dispatcher | None = None,
    background: list[Background] | None = None,
    on_startup: list[Callable[[], Awaitable[None]]] | None = None,
    on_shutdown: list[Callable[[], Awaitable[None]]] | None = None,
) -> Starlette:
    """The Starlette app. At start-up `on_startup` runs in order, then the `background` jobs start; at shutdown
    the jobs get `stop` set and are awaited, then `on_shutdown` runs."""

    async def healthz(request: Request) -> JSONResponse:
        report = await run_in_threadpool(_health, db, dispatcher)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if twilio is not None:
        routes += [
            Route("/twilio/sms", twilio.sms, methods=["POST"]),
            Route("/twilio/status", twilio.status, methods=["POST"]),
        ]
    if telegram is not None:
        routes.append(Route(WEBHOOK_PATH, telegram.webhook, methods=["POST"]))
    if sandbox is not None:
        routes += sandbox.routes()

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

    return Starlette(routes=routes, lifespan=lifespan)


def _health(db: Database, dispatcher: Dispatcher | None) -> dict:
    report: dict = {"ok": True, "database": "ok"}
    try:
        with db.read() as session:
            m = OutboundMessage
            depth, oldest = session.execute(
                sa.select(sa.func.count(), sa.func.min(m.created_at)).where(m.status.in_(("queued", "errored")))
            ).one()
    except sa.exc.SQLAlchemyError:
        return {"ok": False, "database": "unreachable"}
    report["outbox_depth"] = depth
    report["oldest_queued_seconds"] = int((utcnow() - as_utc(oldest)).total_seconds()) if oldest else 0
    if dispatcher is not None:
        seen = dispatcher.last_loop_at
        alive = seen is not None and utcnow() - as_utc(seen) < DISPATCHER_STALE
        report["dispatcher"] = "ok" if alive else "stalled"
        report["ok"] = alive
    return report
