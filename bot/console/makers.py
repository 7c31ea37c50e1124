"""The console's Makers pages: find makers by name, capability and place; a maker's card (capabilities as the
matcher understood them, traits, answers, ratings); pause and resume, through the same rule as the bot's /pause."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import texts
from bot.console.auth import Auth, Visit
from bot.console.pages import done, render
from bot.console.views import Views
from bot.db import Database
from bot.models import MAKER_STATUSES, Maker, utcnow
from bot.services import maker_admin
from bot.services import makers as maker_service
from bot.services.maker_csv import ImportFileError
from bot.services.request_admin import NotAllowed
from matching import geo
from matching.taxonomy import Taxonomy

RADIUS_CHOICES = (5, 10, 25, 50, 100)
ACTIONS = {"pause": maker_admin.pause, "resume": maker_admin.resume}


class Makers:
    def __init__(self, db: Database, auth: Auth, views: Views, taxonomy: Taxonomy) -> None:
        self.db, self.auth, self.views, self.taxonomy = db, auth, views, taxonomy

    def routes(self) -> list[Route]:
        guard = self.auth.guard
        return [
            Route("/makers", guard(self.search), methods=["GET"]),
            Route("/makers/upload", guard(self.upload_form), methods=["GET"]),
            Route("/makers/upload", guard(self.upload), methods=["POST"]),
            Route("/makers/{id:int}", guard(self.card), methods=["GET"]),
            Route("/makers/{id:int}/edit", guard(self.edit_form), methods=["GET"]),
            Route("/makers/{id:int}/edit", guard(self.edit), methods=["POST"]),
            Route("/makers/{id:int}/{action}", guard(self.act), methods=["POST"]),
        ]

    async def search(self, visit: Visit) -> Response:
        query = visit.request.query_params
        words = " ".join(query.get("q", "").split())[:100]
        zip_code = geo.normalize_zip(query.get("zip", "")) or ""
        radius = query.get("radius", "25")
        miles = float(radius) if radius.isdigit() and int(radius) in RADIUS_CHOICES else 25.0
        status = query.get("status", "")
        status = status if status in MAKER_STATUSES else ""

        def read() -> list[maker_admin.Found]:
            with self.db.read() as session:
                return maker_admin.search(session, words, zip_code or None, miles, status)

        context = {
            "found": await run_in_threadpool(read),
            "words": words,
            "zip": zip_code,
            "unknown_zip": bool(query.get("zip", "").strip()) and geo.lookup_zip(zip_code) is None,
            "radius": int(miles),
            "radii": RADIUS_CHOICES,
            "status": status,
            "statuses": MAKER_STATUSES,
            "limit": maker_admin.MAX_FOUND,
            "nav": "makers",
        }
        return render(self.views, visit, "makers.html", context)

    async def card(self, visit: Visit, problem: str | None = None, status_code: int = 200) -> Response:
        found = await self._card_of(visit)
        if found is None:
            return self._no_maker(visit)
        context = {
            "c": found,
            "m": found.maker,
            "responsiveness": maker_service.responsiveness(found.maker),
            "done": done(visit),
            "problem": problem,
            "nav": "makers",
        }
        return render(self.views, visit, "maker.html", context, status_code)

    async def act(self, visit: Visit) -> Response:
        maker_id, action = visit.request.path_params["id"], visit.request.path_params["action"]
        change = ACTIONS.get(action)
        if change is None:
            return self.views.message(visit.request, texts.CONSOLE_NOT_FOUND, 404, visit.organiser)

        def act() -> bool:
            now = utcnow()
            with self.db.transaction() as session:
                maker = session.get(Maker, maker_id)
                if maker is None:
                    return False
                change(session, maker, now)
                maker_admin.audit(session, visit.organiser.actor, f"maker_{action}", maker, now)
                return True

        try:
            if not await run_in_threadpool(act):
                return self._no_maker(visit)
        except NotAllowed as refusal:
            return await self.card(visit, problem=str(refusal), status_code=409)
        where = f"/console/makers/{maker_id}?" + urlencode({"done": f"{action}d"})
        return RedirectResponse(where, status_code=303)

    # ── editing, and the CSV upload ──

    async def edit_form(
        self, visit: Visit, values: dict[str, str] | None = None, problems: list[str] | None = None
    ) -> Response:
        found = await self._card_of(visit)
        if found is None:
            return self._no_maker(visit)
        context = {
            "m": found.maker,
            "values": values or maker_admin.form_values(found),
            "problems": problems or [],
            "nav": "makers",
        }
        return render(self.views, visit, "maker_edit.html", context, 400 if problems else 200)

    async def edit(self, visit: Visit) -> Response:
        maker_id = visit.request.path_params["id"]
        values = {column: visit.form.get(column, "") for column in maker_admin.EDITABLE}

        def save() -> list[str] | None:
            with self.db.transaction() as session:
                maker = session.get(Maker, maker_id)
                if maker is None:
                    return None
                return maker_admin.edit_in(session, self.taxonomy, maker, values, visit.organiser.actor, utcnow())

        problems = await run_in_threadpool(save)
        if problems is None:
            return self._no_maker(visit)
        if problems:
            return await self.edit_form(visit, values, problems)
        return RedirectResponse(f"/console/makers/{maker_id}?done=edited", status_code=303)

    async def _card_of(self, visit: Visit) -> maker_admin.Card | None:
        """The card of the maker the address names (for the card and the edit form alike); None if there is none."""
        maker_id = visit.request.path_params["id"]

        def read() -> maker_admin.Card | None:
            with self.db.read() as session:
                return maker_admin.card(session, maker_id)

        return await run_in_threadpool(read)

    def _no_maker(self, visit: Visit) -> Response:
        return self.views.message(visit.request, texts.CONSOLE_NO_MAKER, 404, visit.organiser)

    async def upload_form(self, visit: Visit) -> Response:
        return render(self.views, visit, "makers_upload.html", {"nav": "makers", "report": None, "problem": None})

    async def upload(self, visit: Visit) -> Response:
        """A maker CSV, imported as `makerlink makers import` does; the same row report, as a table."""
        name, data = visit.files.get("file", ("", b""))
        if not data:
            context = {"nav": "makers", "report": None, "problem": texts.CONSOLE_NO_FILE}
            return render(self.views, visit, "makers_upload.html", context, 400)

        def save() -> maker_service.ImportReport:
            with self.db.transaction() as session:
                return maker_admin.upload_in(session, self.taxonomy, data, name, visit.organiser.actor, utcnow())

        try:
            report = await run_in_threadpool(save)
        except ImportFileError as refused:
            context = {"nav": "makers", "report": None, "problem": str(refused)}
            return render(self.views, visit, "makers_upload.html", context, 400)
        shown = {"nav": "makers", "report": report, "name": name, "problem": None}
        return render(self.views, visit, "makers_upload.html", shown)
