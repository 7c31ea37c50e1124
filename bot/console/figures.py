"""The console's Figures page: requests, answers and orders per week as a chart drawn on the server, with the
answer rate and time from the same figures as /stats and `makerlink stats`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import Auth, Visit
from bot.console.chart import grouped_bars
from bot.console.pages import render
from bot.console.views import Views
from bot.db import Database
from bot.models import utcnow
from bot.services import stats

WEEKS = 12
SERIES = ("requests", "answers", "orders")


class Figures:
    def __init__(self, db: Database, auth: Auth, views: Views, timezone: str) -> None:
        self.db, self.auth, self.views, self.timezone = db, auth, views, timezone

    def routes(self) -> list[Route]:
        return [Route("/figures", self.auth.guard(self.page), methods=["GET"])]

    async def page(self, visit: Visit) -> Response:
        def read() -> tuple[list, dict]:
            with self.db.read() as session:
                return stats.weekly(session, WEEKS, utcnow(), self.timezone), stats.collect_in(session)

        weeks, figures = await run_in_threadpool(read)
        chart = grouped_bars([(f"{monday:%d %b}", (r, a, o)) for monday, r, a, o in weeks])
        context = {"weeks": weeks, "chart": chart, "series": SERIES, "figures": figures, "nav": "figures"}
        return render(self.views, visit, "figures.html", context)
