"""The console's Messages page: the outbox by status, why a message failed in words, and a retry of a failed one."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import outbox
from bot.console.auth import Auth, Visit
from bot.console.pages import done, render
from bot.console.views import Views
from bot.db import Database
from bot.models import MESSAGE_STATUSES, MessageStatus, OutboundMessage, utcnow
from bot.services import message_admin
from bot.services.request_admin import NotAllowed

LISTED_MESSAGES = 200


class Messages:
    def __init__(self, db: Database, auth: Auth, views: Views) -> None:
        self.db, self.auth, self.views = db, auth, views

    def routes(self) -> list[Route]:
        return [
            Route("/messages", self.auth.guard(self.listing), methods=["GET"]),
            Route("/messages/{id:int}/retry", self.auth.guard(self.retry), methods=["POST"]),
        ]

    async def listing(self, visit: Visit, problem: str | None = None, status_code: int = 200) -> Response:
        status = visit.request.query_params.get("status", "")
        status = status if status in MESSAGE_STATUSES else ""
        rows, counts = await run_in_threadpool(self._read, status)
        context = {
            "rows": [(row, message_admin.why(row)) for row in rows],
            "counts": counts,
            "status": status,
            "limit": LISTED_MESSAGES,
            "failed": MessageStatus.FAILED.value,
            "done": done(visit),
            "problem": problem,
            "nav": "messages",
        }
        return render(self.views, visit, "messages.html", context, status_code)

    def _read(self, status: str) -> tuple[list[OutboundMessage], dict[str, int]]:
        rows = outbox.list_messages(self.db, status=status or None, limit=LISTED_MESSAGES)
        with self.db.read() as session:
            return rows, message_admin.counts(session)

    async def retry(self, visit: Visit) -> Response:
        message_id = visit.request.path_params["id"]

        def act() -> None:
            with self.db.transaction() as session:
                message_admin.retry(session, message_id, visit.organiser.actor, utcnow())

        try:
            await run_in_threadpool(act)
        except NotAllowed as refusal:
            return await self.listing(visit, problem=str(refusal), status_code=409)
        back = visit.form.get("status", "")
        query = {"done": "retried", "id": message_id, **({"status": back} if back in MESSAGE_STATUSES else {})}
        return RedirectResponse("/console/messages?" + urlencode(query), status_code=303)
