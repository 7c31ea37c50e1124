"""The console's pages: Today, and Requests (the list, one request, and what an organiser may do to it). Each
page reads through bot/services/overview.py and acts through the services the bot and the CLI use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import texts
from bot.console.auth import Auth, Visit
from bot.console.views import Views
from bot.db import Database
from bot.models import REQUEST_STATUSES, utcnow
from bot.services import overview, request_admin
from bot.services import requests as request_service
from bot.services.followups import FollowUpPolicy
from bot.services.orders import LIVE_REQUEST, RequestStatus
from matching.directory import Directory
from matching.emissions import DEFAULT_FACTORS, DEFAULT_ROUTE, Factors, ImportRoute

_CODE = re.compile(r"^[A-Za-z0-9]{1,8}$")
MAX_SEARCH = 100
LISTED_REQUESTS = 100


@dataclass(frozen=True)
class Programme:
    """What the pages need to know of the programme's settings."""

    policy: FollowUpPolicy
    timezone: str
    max_invites: int
    sms_price_per_segment: float = 0.0079  # for a broadcast's cost estimate
    import_route: ImportRoute = DEFAULT_ROUTE  # the Figures page's impact estimates, as `makerlink match` makes them
    emission_factors: Factors = DEFAULT_FACTORS


class Pages:
    def __init__(
        self, db: Database, auth: Auth, views: Views, programme: Programme, directory: Callable[[], Directory]
    ) -> None:
        self.db, self.auth, self.views, self.programme, self.directory = db, auth, views, programme, directory

    def routes(self) -> list[Route]:
        guard = self.auth.guard
        return [
            Route("/", guard(self.today), methods=["GET"]),
            Route("/requests", guard(self.requests), methods=["GET"]),
            Route("/requests/{code}", guard(self.request), methods=["GET"]),
            Route("/requests/{code}/{action}", guard(self.act_on_request), methods=["POST"]),
        ]

    def _page(self, visit: Visit, name: str, context: dict, status: int = 200) -> Response:
        return render(self.views, visit, name, context, status)

    # ── Today ──

    async def today(self, visit: Visit) -> Response:
        def read() -> overview.Today:
            with self.db.read() as session:
                return overview.today(session, self.programme.policy, utcnow())

        return self._page(visit, "today.html", {"today": await run_in_threadpool(read), "nav": "today"})

    # ── Requests ──

    async def requests(self, visit: Visit) -> Response:
        query = visit.request.query_params
        search = " ".join(query.get("q", "").split())[:MAX_SEARCH]
        status = query.get("status", "")
        status = status if status in REQUEST_STATUSES else ""
        views = await run_in_threadpool(
            request_service.list_requests, self.db, status or None, None, LISTED_REQUESTS, search or None
        )
        context = {
            "views": views,
            "search": search,
            "status": status,
            "statuses": REQUEST_STATUSES,
            "limit": LISTED_REQUESTS,
            "nav": "requests",
        }
        return self._page(visit, "requests.html", context)

    async def request(self, visit: Visit, problem: str | None = None, status: int = 200) -> Response:
        code = visit.request.path_params["code"]
        page = await run_in_threadpool(self._request_page, code)
        if page is None:
            return self._no_request(visit, code)
        request = page.view.request
        context = {
            "page": page,
            "r": request,
            "summary": request_service.summary(request),
            "done": done(visit, request.code),
            "problem": problem,
            "can_close": request.status in LIVE_REQUEST,
            "can_reopen": request.status == RequestStatus.EXPIRED,
            "can_invite": request.status == RequestStatus.OPEN,
            "max_invites": self.programme.max_invites,
            "max_more": request_admin.MAX_MORE,
            "nav": "requests",
        }
        return self._page(visit, "request.html", context, status)

    def _no_request(self, visit: Visit, code: str) -> Response:
        return self.views.message(visit.request, texts.CONSOLE_NO_REQUEST.format(code=code[:8]), 404, visit.organiser)

    def _request_page(self, code: str) -> overview.RequestPage | None:
        if not _CODE.match(code):
            return None
        views = request_service.list_requests(self.db, code=code, limit=1)
        if not views:
            return None
        with self.db.read() as session:
            return overview.request_page(session, views[0])

    async def act_on_request(self, visit: Visit) -> Response:
        code, action = visit.request.path_params["code"], visit.request.path_params["action"]
        if not _CODE.match(code) or action not in ("close", "reopen", "invite"):
            return self._no_request(visit, code)
        more = visit.form.get("count", "")
        limit = int(more) if more.isdigit() else self.programme.max_invites
        try:
            outcome = await run_in_threadpool(self._act, code.upper(), action, visit.organiser.actor, limit)
        except request_admin.NotAllowed as refusal:
            return await self.request(visit, problem=str(refusal), status=409)
        if outcome is None:
            return self._no_request(visit, code)
        note, count = outcome
        where = f"/console/requests/{code.upper()}?" + urlencode({"done": note, "count": count})
        return RedirectResponse(where, status_code=303)

    def _act(self, code: str, action: str, actor: str, limit: int) -> tuple[str, int] | None:
        """Do it in one transaction; returns which sentence says what was done, and how many makers were asked."""
        programme, now = self.programme, utcnow()
        today = now.astimezone(ZoneInfo(programme.timezone)).date()
        with self.db.transaction() as session:
            request = request_admin.lock(session, code)
            if request is None:
                return None
            if action == "close":
                request_admin.close(session, request, actor, now, programme.policy)
                return "closed", 0
            change = request_admin.reopen if action == "reopen" else request_admin.invite_more
            asking = request_admin.Asking(programme.policy, self.directory(), today, limit)
            count = change(session, request, actor, now, asking)
            if action == "reopen":
                return "reopened", count
            return ("invited" if count else "nobody"), count


def render(views: Views, visit: Visit, name: str, context: dict, status: int = 200) -> Response:
    """A page for a logged-in organiser: the menu, and the CSRF token its forms carry."""
    context = {"organiser": visit.organiser, "csrf": visit.organiser.csrf_token, **context}
    return views.page(visit.request, name, context, status)


def done(visit: Visit, code: str = "") -> str | None:
    """The sentence saying what the organiser just did (after the redirect that follows a form): `done` names it
    (one of texts.CONSOLE_DONE), `count` and `id` fill it in."""
    query = visit.request.query_params
    note = query.get("done", "")
    if note not in texts.CONSOLE_DONE:
        return None
    given = {name: query.get(name, "0") for name in ("count", "id")}
    numbers = {name: int(v) if v.isdigit() and len(v) < 12 else 0 for name, v in given.items()}
    return texts.CONSOLE_DONE[note].format(code=code, **numbers)
