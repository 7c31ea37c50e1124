"""The console's Figures page: requests, answers and orders per week as a chart drawn on the server, with the
answer rate and time from the same figures as /stats and `makerlink stats`, and the local impact (all time and this
month) from the same figures as /stats, `makerlink stats --impact` and the sandbox's admin panel."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from bot import texts
from bot.console.auth import Auth, Visit
from bot.console.chart import grouped_bars
from bot.console.pages import Programme, render
from bot.console.views import Views
from bot.db import Database
from bot.models import utcnow
from bot.services import impact, stats
from matching.taxonomy import Taxonomy

WEEKS = 12
# Seconds: a count (the weekly chart, the impact all time and this month) takes some 0.3 s over a large programme
# (docs/benchmarks.md), so a page counts at most once a minute.
FRESH_FOR = 60.0
SERIES = ("requests", "answers", "orders")


def impact_basis(programme: Programme, taxonomy: Taxonomy) -> impact.Basis:
    """The impact figures' settings, as `makerlink match` and /stats use them."""
    return impact.Basis(taxonomy, programme.timezone, programme.import_route, programme.emission_factors)


def impact_blocks(session: Session, basis: impact.Basis, now: datetime) -> list[list[str]]:
    """The local impact all time and this month, each as the lines texts.impact_text words (heading first; the
    emissions called an estimate)."""
    month = basis.this_month(now)
    all_time = texts.impact_text(impact.collect_in(session, basis), texts.IMPACT_HEADING_ALL)
    this_month = texts.impact_text(
        impact.collect_in(session, basis, since=month), texts.IMPACT_HEADING_MONTH.format(month=f"{month:%B %Y}")
    )
    return [all_time.split("\n"), this_month.split("\n")]


class Figures:
    def __init__(self, db: Database, auth: Auth, views: Views, basis: impact.Basis) -> None:
        self.db, self.auth, self.views, self.basis = db, auth, views, basis
        self._counted: tuple[float, dict[str, Any]] | None = None  # (monotonic time, what the page shows)

    def routes(self) -> list[Route]:
        return [Route("/figures", self.auth.guard(self.page), methods=["GET"])]

    async def page(self, visit: Visit) -> Response:
        counted = self._counted
        if counted is None or time.monotonic() - counted[0] > FRESH_FOR:
            counted = (time.monotonic(), await run_in_threadpool(self._count))
            self._counted = counted
        return render(self.views, visit, "figures.html", {**counted[1], "nav": "figures"})

    def _count(self) -> dict[str, Any]:
        now = utcnow()
        with self.db.read() as session:
            weeks = stats.weekly(session, WEEKS, now, self.basis.timezone)
            figures, blocks = stats.collect_in(session), impact_blocks(session, self.basis, now)
        chart = grouped_bars([(f"{monday:%d %b}", (r, a, o)) for monday, r, a, o in weeks])
        return {"weeks": weeks, "chart": chart, "series": SERIES, "figures": figures, "impact": blocks, "at": now}
