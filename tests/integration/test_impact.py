"""What the bot did for the city: an order taken and delivered through the real services (makers imported, the
buyer's chat, the maker's SMS), then counted by `makerlink stats --impact` and listed by `makerlink report`, with no
buyer's details; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from bot.cli import app as cli_app
from bot.models import Invitation, Maker, Request
from bot.services import admin_chat, impact
from bot.services import makers as maker_service
from bot.services.chat import ChatConfig
from tests.integration.test_buyer_chat import (
    NOW,
    TAXONOMY,
    Buyer_,
    button,
    buyer_messages,
    maker_says,
    requests_of,
    sent_request,
    sms_to,
)

FAB_LAB, PLASTICS = "+13135550901", "+13135550902"
MAKERS_CSV = (
    "name,phone,zip,capabilities,type,badges\n"
    f"Eastside Fab Lab,{FAB_LAB},48207,face shields; laser cutting,makerspace,Made in Detroit; woman-owned\n"
    f"Corktown Plastics,{PLASTICS},48216,face shields; injection molding,business,\n"
).encode()
BUYER_DETAILS = ("Dana", "dana_hospital", "1001", "48201")  # name, username, user and chat id, the request's ZIP
BASIS = impact.Basis(TAXONOMY)


@pytest.fixture
def db(any_db):
    report = maker_service.import_makers(any_db, MAKERS_CSV, "makers.csv", TAXONOMY)
    assert report.created == 2 and not report.skipped
    return any_db


@pytest.fixture
def dana(db):
    cache = maker_service.DirectoryCache(db, TAXONOMY)
    return Buyer_(db, lambda: cache.get(NOW))


def take_order(dana, db, phone: str, terms: str = "500 at $2.10 each, ready in 5 days") -> Request:
    """The buyer asks for 500 face shields near 48201, the maker at `phone` answers YES by SMS, the buyer accepts."""
    sent_request(dana)
    assert phone in {m.address for m in sms_to(db, "invitation")}
    request = requests_of(db)[-1]
    maker_says(db, phone, f"YES {request.code} {terms}")
    quote = buyer_messages(db, purpose="quote")[-1]
    dana.press(json.loads(quote.buttons)[0][0][1])
    assert dana.toast.startswith("Accepted")
    return request


def cli(db, *args: str, cwd) -> Result:
    """The command in this process (a fresh one per call costs seconds); the month test below runs the real one."""
    env = {k: None for k in os.environ if k.startswith("MAKERLINK_")}
    env["MAKERLINK_DATABASE_URL"] = db.url
    with contextlib.chdir(cwd):
        return CliRunner().invoke(cli_app, list(args), env=env)


def invitation_of(db, request: Request, phone: str) -> Invitation:
    with db.read() as session:
        return session.exec(
            select(Invitation).join(Maker).where(Invitation.request_id == request.id, Maker.phone == phone)
        ).one()


def test_an_order_taken_and_delivered_counts_its_money_maker_and_distance(dana, db, tmp_path):
    request = take_order(dana, db, FAB_LAB)
    maker_says(db, FAB_LAB, f"DONE {request.code}")
    order = invitation_of(db, request, FAB_LAB)
    assert order.status == "delivered" and order.distance_miles

    out = cli(db, "stats", "--impact", "--json", cwd=tmp_path)
    assert out.exit_code == 0, out.output
    figures = json.loads(out.stdout)
    assert (figures["orders"], figures["delivered"], figures["spent_cents"]) == (1, 1, 500 * 210)
    assert (figures["makers"], figures["first_time_makers"], figures["orders_not_valued"]) == (1, 1, 0)
    assert figures["median_distance_miles"] == round(order.distance_miles, 1)
    assert figures["by_type"] == {"makerspace": {"makers": 1, "orders": 1, "spent_cents": 105000}}
    assert set(figures["by_badge"]) == {"Made in Detroit", "woman-owned"}
    assert figures["requests"] == {
        "served_locally": 1, "not_served": 0, "expired": 0, "cancelled": 0, "open_without_order": 0,
    }  # fmt: skip
    carbon = figures["emissions"]
    assert carbon["estimate"] is True and carbon["orders_estimated"] == 1 and carbon["avoided_kg_co2e"] > 0

    human = cli(db, "stats", "--impact", "--since", "2026-11-01", cwd=tmp_path).stdout
    assert human.startswith("Local impact since 2026-11-01:\nOrders accepted: 1 (1 delivered).")
    assert "Spent with local makers: $1,050." in human and "Transport emissions avoided (estimated)" in human

    report = cli(db, "report", "--month", "2026-11", "--csv", cwd=tmp_path)
    assert report.exit_code == 0, report.output
    [row] = list(csv.DictReader(io.StringIO(report.stdout)))
    assert tuple(row) == impact.REPORT_COLUMNS
    assert row["request_code"] == request.code and row["accepted_date"] == row["delivered_date"] == "2026-11-27"
    assert (row["item"], row["quantity"], row["value_usd"]) == ("face shields", "500", "1050.00")
    assert (row["maker_name"], row["maker_type"], row["maker_zip"]) == ("Eastside Fab Lab", "makerspace", "48207")
    assert row["badges"] == "Made in Detroit; woman-owned"
    assert (row["on_time"], row["first_order_for_maker"]) == ("yes", "yes")
    assert float(row["distance_miles"]) == round(order.distance_miles, 1) and float(row["est_kg_co2e_avoided"]) > 0
    assert not any(detail in cell for cell in row.values() for detail in BUYER_DETAILS)
    table = cli(db, "report", "--month", "2026-11", cwd=tmp_path)
    assert "Orders accepted in November 2026: 1" in table.stdout and "Eastside Fab Lab" in table.stdout


def test_a_month_that_is_not_yyyy_mm_is_one_sentence_and_exit_code_2(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--month", "2026-13", "--csv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKERLINK_")},
        timeout=120,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "“2026-13” is not a month: give it as YYYY-MM, for example 2026-11.\n"
    assert not (tmp_path / "makerlink.db").exists()  # bad input opens no database


@pytest.mark.parametrize("month", ["2026-1", "november", "2026-00", "2026-11-01", "9999-12", "", " 2026-11x"])
def test_only_yyyy_mm_is_a_month(month):
    with pytest.raises(impact.BadPeriod, match="is not a month: give it as YYYY-MM"):
        impact.parse_month(month)
    assert impact.parse_month(" 2026-12 ") == date(2026, 12, 1)
    assert impact.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_since_needs_impact_and_a_date(tmp_path):
    env = {k: None for k in os.environ if k.startswith("MAKERLINK_")}
    for args, sentence in [
        (["stats", "--since", "2026-11-01"], "--since goes with --impact"),
        (["stats", "--impact", "--since", "2026-11-31"], "“2026-11-31” is not a date"),
    ]:
        with contextlib.chdir(tmp_path):
            out = CliRunner().invoke(cli_app, args, env=env)
        assert out.exit_code == 2 and sentence in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "makerlink.db").exists()


def test_a_makers_first_order_counts_once_and_only_in_its_period(dana, db):
    first = take_order(dana, db, FAB_LAB)
    with db.transaction() as session:  # the first order was a month earlier
        session.get(Invitation, invitation_of(db, first, FAB_LAB).id).accepted_at = NOW - timedelta(days=31)
    second = take_order(dana, db, FAB_LAB, "we can do 500 for $900")
    november = impact.collect(db, BASIS, since=date(2026, 11, 1))
    assert (november["orders"], november["makers"], november["first_time_makers"]) == (1, 1, 0)
    assert november["spent_cents"] == 90000  # a total as quoted
    ever = impact.collect(db, BASIS)
    assert (ever["orders"], ever["makers"], ever["first_time_makers"], ever["spent_cents"]) == (2, 1, 1, 195000)
    [row] = impact.report_rows(db, BASIS, date(2026, 11, 1))
    assert row["request_code"] == second.code and row["first_order_for_maker"] is False
    assert row["on_time"] is None and row["delivered_date"] is None  # under way
    [october] = impact.report_rows(db, BASIS, date(2026, 10, 1))
    assert october["request_code"] == first.code and october["first_order_for_maker"] is True


def test_an_order_without_a_price_is_counted_not_valued(dana, db):
    take_order(dana, db, PLASTICS, "")
    figures = impact.collect(db, BASIS)
    assert (figures["orders"], figures["orders_valued"], figures["orders_not_valued"]) == (1, 0, 1)
    assert figures["spent_cents"] == 0 and figures["by_type"] == {
        "business": {"makers": 1, "orders": 1, "spent_cents": 0}
    }
    assert figures["by_badge"] == {}


def test_not_served_counts_requests_that_reached_makers_or_found_none_never_dropped_drafts(dana, db):
    dana.command("start")
    dana.send("48201")
    dana.press(button(dana.send("need 300 face shields"), "✖️"))  # a draft dropped before sending: no unmet need
    dana.press(button(dana.send("need 20 wooden pallets"), "✅"))  # sent, and no maker here makes pallets
    assert impact.collect(db, BASIS)["requests"]["open_without_order"] == 1
    sent_request(dana)  # face shields, to both makers
    for request in requests_of(db)[1:]:
        dana.press(f"cancel:{request.id}")
    assert [r.status for r in requests_of(db)] == ["cancelled"] * 3
    figures = impact.collect(db, BASIS)
    assert figures["requests"] == {
        "served_locally": 0, "not_served": 2, "expired": 0, "cancelled": 2, "open_without_order": 0,
    }  # fmt: skip
    assert figures["orders"] == 0


def test_the_organisers_stats_add_this_months_impact(dana, db):
    take_order(dana, db, FAB_LAB)
    config = ChatConfig(admin_ids=(999,))
    with db.transaction() as session:
        text = admin_chat.handle(session, config, TAXONOMY, 999, "stats", "", NOW)
    assert "Makers: 2 active" in text
    assert "Local impact in November 2026:" in text and "Spent with local makers: $1,050." in text
    assert "Makers with work: 1, for the first time: 1. By type: makerspace 1." in text
    assert "Transport emissions avoided (estimated):" in text
    with db.transaction() as session:
        december = admin_chat.handle(session, config, TAXONOMY, 999, "stats", "", NOW + timedelta(days=5))
    assert "Local impact in December 2026:\nNo order accepted yet." in december


def test_the_estimate_follows_the_settings_as_match_does(dana, db):
    from bot.bootstrap import chat_config
    from bot.config import load_settings

    take_order(dana, db, FAB_LAB)
    default = impact.collect(db, BASIS)["emissions"]
    nearby_import = load_settings(impact_import_sea_km=0, impact_import_road_km=1)  # "imported" from 1 km away
    assert chat_config(nearby_import).import_route == nearby_import.import_route()
    local = impact.collect(db, impact.Basis.from_settings(TAXONOMY, nearby_import))["emissions"]
    assert default["avoided_kg_co2e"] > 0 and local["avoided_kg_co2e"] == 0 and local["orders_estimated"] == 1
