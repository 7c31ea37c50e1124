"""The console's Broadcasts pages: compose an alert with audience filters, preview it (how many, who is left out
and why, the cost, a sample), send it once, watch it go out, and the broadcasts before it. All through
bot/services/broadcasts.py, as the bot's /broadcast and `makerlink broadcast` do."""

from __future__ import annotations

from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import texts
from bot.console.auth import Auth, Visit
from bot.console.pages import render
from bot.console.views import Views
from bot.db import Database
from bot.models import Broadcast, BroadcastStatus, utcnow
from bot.services import broadcasts
from matching.taxonomy import Taxonomy

PAST = 20
MAX_TEXT = 1600


class Broadcasts:
    def __init__(self, db: Database, auth: Auth, views: Views, taxonomy: Taxonomy, price: float) -> None:
        self.db, self.auth, self.views, self.taxonomy, self.price = db, auth, views, taxonomy, price

    def routes(self) -> list[Route]:
        guard = self.auth.guard
        return [
            Route("/broadcasts", guard(self.compose), methods=["GET"]),
            Route("/broadcasts", guard(self.preview), methods=["POST"]),
            Route("/broadcasts/{id:int}", guard(self.one), methods=["GET"]),
            Route("/broadcasts/{id:int}/send", guard(self.send), methods=["POST"]),
            Route("/broadcasts/{id:int}/cancel", guard(self.cancel), methods=["POST"]),
        ]

    async def compose(self, visit: Visit, problem: str | None = None, form: dict | None = None) -> Response:
        def read() -> list[broadcasts.Report]:
            with self.db.read() as session:
                ids = session.exec(select(Broadcast.id).order_by(col(Broadcast.id).desc()).limit(PAST)).all()
                return [broadcasts.report_in(session, i) for i in ids if i is not None]

        context = {
            "past": await run_in_threadpool(read),
            "form": form or {},
            "audiences": broadcasts.AUDIENCES,
            "problem": problem,
            "nav": "broadcasts",
        }
        return render(self.views, visit, "broadcasts.html", context, 400 if problem else 200)

    async def preview(self, visit: Visit) -> Response:
        """A draft and its preview; nothing is queued until Send."""
        form = visit.form
        radius = form.get("radius", "").strip()
        who = broadcasts.Audience(
            to=form.get("to", "makers"),
            capability=" ".join(form.get("capability", "").split())[:100] or None,
            zip=form.get("zip", "").strip()[:10] or None,
            radius_miles=float(radius) if radius.isdigit() and 0 < int(radius) <= 3000 else None,
        )
        text = form.get("text", "")[:MAX_TEXT]

        def create() -> int:
            with self.db.transaction() as session:
                draft, _ = broadcasts.create_in(
                    session, self.taxonomy, text, who, visit.organiser.actor, self.price, utcnow(), keep_empty=False
                )
                return draft.id or 0

        try:
            draft_id = await run_in_threadpool(create)
        except broadcasts.BroadcastProblem as problem:
            return await self.compose(visit, texts.BROADCAST_PROBLEM.format(problem=problem), form)
        return RedirectResponse(f"/console/broadcasts/{draft_id}", status_code=303)

    async def one(self, visit: Visit, problem: str | None = None, status: int = 200) -> Response:
        broadcast_id = visit.request.path_params["id"]

        def read() -> tuple[broadcasts.Report, dict | None] | None:
            with self.db.read() as session:
                try:
                    report = broadcasts.report_in(session, broadcast_id)
                except broadcasts.BroadcastProblem:
                    return None
                b = report.broadcast
                if b.status != BroadcastStatus.DRAFT:
                    return report, None
                who = broadcasts.Audience.from_json(b.audience)
                return report, broadcasts.audience(session, self.taxonomy, who, b.text, self.price).as_dict()

        found = await run_in_threadpool(read)
        if found is None:
            return self.views.message(visit.request, texts.CONSOLE_NOT_FOUND, 404, visit.organiser)
        report, preview = found
        context = {
            "r": report,
            "b": report.broadcast,
            "audience": broadcasts.Audience.from_json(report.broadcast.audience),
            "preview": preview,
            "failure_names": texts.FAILURE_NAMES,
            "problem": problem,
            "refresh": report.broadcast.status == BroadcastStatus.SENDING and not report.done,
            "nav": "broadcasts",
        }
        return render(self.views, visit, "broadcast.html", context, status)

    async def send(self, visit: Visit) -> Response:
        broadcast_id = visit.request.path_params["id"]
        expect = visit.form.get("expect", "")

        def confirm() -> None:
            with self.db.transaction() as session:
                broadcasts.confirm_in(
                    session,
                    self.taxonomy,
                    broadcast_id,
                    visit.organiser.actor,
                    utcnow(),
                    expect=int(expect) if expect.isdigit() else -1,
                )

        try:
            await run_in_threadpool(confirm)
        except broadcasts.AudienceChanged as changed:
            count = len(changed.preview.recipients)
            return await self.one(visit, texts.CONSOLE_AUDIENCE_CHANGED.format(count=count), 409)
        except broadcasts.BroadcastProblem:
            return self.views.message(visit.request, texts.CONSOLE_NOT_FOUND, 404, visit.organiser)
        return RedirectResponse(f"/console/broadcasts/{broadcast_id}", status_code=303)

    async def cancel(self, visit: Visit) -> Response:
        broadcast_id = visit.request.path_params["id"]

        def drop() -> None:
            with self.db.transaction() as session:
                broadcasts.cancel_in(session, broadcast_id, visit.organiser.actor, utcnow())

        await run_in_threadpool(drop)
        return RedirectResponse(f"/console/broadcasts/{broadcast_id}", status_code=303)
