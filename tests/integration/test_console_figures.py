"""The console's Figures page: requests, answers and orders per week, drawn as an inline SVG on the server, and the
local impact of the orders accepted."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.console import figures
from bot.console.chart import grouped_bars
from bot.models import Invitation, utcnow
from bot.services import requests as request_service
from bot.services.orders import InvitationStatus
from tests.integration.console_client import (
    TAXONOMY,
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    log_in,
)


def test_the_chart_counts_this_weeks_requests(db):  # noqa: F811
    for text in ("500 face shields near 48201", "200 tote bags near 48201"):
        request_service.open_request(db, TAXONOMY, text, radius_miles=50, max_invites=1)
    browser = log_in(client(console_app(db)), db)
    html = browser.get("/console/figures").text
    assert '<svg class="chart"' in html and "<script" not in html
    rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", html)
    assert len(rows) == 12 and rows[-1] == ("2", "0", "0") and all(r == ("0", "0", "0") for r in rows[:-1])
    assert "<title>requests: 2</title>" in html and "the page counts again at most once a minute" in html


def test_the_figures_are_counted_at_most_once_a_minute(db, monkeypatch):  # noqa: F811
    request_service.open_request(db, TAXONOMY, "500 face shields near 48201", radius_miles=50, max_invites=1)
    browser = log_in(client(console_app(db)), db)
    assert "<title>requests: 1</title>" in browser.get("/console/figures").text
    request_service.open_request(db, TAXONOMY, "200 tote bags near 48201", radius_miles=50, max_invites=1)
    assert "<title>requests: 1</title>" in browser.get("/console/figures").text  # within the minute
    monkeypatch.setattr(figures, "FRESH_FOR", -1.0)
    assert "<title>requests: 2</title>" in browser.get("/console/figures").text


def test_the_local_impact_counts_an_accepted_order_all_time_and_this_month(db):  # noqa: F811
    request = request_service.open_request(
        db, TAXONOMY, "500 face shields near 48201", radius_miles=50, max_invites=1
    ).request
    with db.transaction() as session:  # the maker quoted $2.10 each and the buyer accepted, as the chat would record
        invitation = session.exec(select(Invitation).where(Invitation.request_id == request.id)).first()
        assert invitation is not None
        invitation.status, invitation.price_cents, invitation.accepted_at = InvitationStatus.ACCEPTED, 210, utcnow()
    html = log_in(client(console_app(db)), db).get("/console/figures").text
    assert "<h3>Local impact, all time:</h3>" in html and "<h3>Local impact in " in html
    assert html.count("<p>Orders accepted: 1 (0 delivered). Spent with local makers: $1,050.</p>") == 2
    assert html.count("Transport emissions avoided (estimated)") == 2


def test_bars_stand_on_one_baseline_and_the_tallest_reaches_the_top_tick():
    chart = grouped_bars([("a", (0, 3, 7)), ("b", (10, 0, 1))])
    assert {round(bar.y + bar.height, 1) for bar in chart.bars} == {chart.baseline}
    tallest = max(chart.bars, key=lambda bar: bar.value)
    assert tallest.value == 10 and tallest.y >= chart.ticks[-1].y and chart.ticks[0].value == 0
    assert [bar.height for bar in chart.bars if bar.value == 0] == [0.0, 0.0]
    empty = grouped_bars([])
    assert empty.bars == [] and empty.ticks[-1].value >= 1


def test_each_week_counts_what_happened_in_it_in_the_programme_time_zone(db):  # noqa: F811
    from datetime import UTC, datetime

    from sqlmodel import Session

    from bot.models import Request
    from bot.services import stats

    for text in ("500 face shields near 48201", "200 tote bags near 48201", "40 aprons near 48201"):
        request_service.open_request(db, TAXONOMY, text, radius_miles=50, max_invites=1)
    now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # a Wednesday
    with Session(db.engine) as session:
        made = session.exec(select(Request).order_by(Request.id)).all()
        # Monday 7 Dec 03:00 UTC is still Sunday evening in Detroit: last week there, this week in UTC.
        for request, moment in zip(made, ("2026-12-07T03:00", "2026-12-07T06:00", "2026-11-20T12:00"), strict=True):
            request.created_at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
            session.add(request)
        session.commit()
        detroit = stats.weekly(session, 4, now, "America/Detroit")
        utc = stats.weekly(session, 4, now, "UTC")
    assert [(str(monday), asked) for monday, asked, _answers, _orders in detroit] == [
        ("2026-11-16", 1), ("2026-11-23", 0), ("2026-11-30", 1), ("2026-12-07", 1)
    ]
    assert [asked for _monday, asked, _answers, _orders in utc] == [1, 0, 0, 2]
