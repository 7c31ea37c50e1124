"""The console's Makers pages: search by name, capability and place; a maker's card; pause and resume by the same
rule as the bot's /pause, the maker told by SMS, the audit written; a maker who texted STOP stays stopped."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.models import AdminAction, Maker, OutboundMessage
from tests.integration.console_client import (
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    log_in,
)


def _maker(database, phone="+13135550101") -> Maker:
    with database.read() as session:
        return session.exec(select(Maker).where(Maker.phone == phone)).one()


def _names(html):
    return re.findall(r'<a href="/console/makers/\d+">([^<]+)</a>', html)


def test_makers_are_found_by_name_capability_and_place(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    maker = _maker(db)
    by_name = _names(browser.get("/console/makers", params={"q": maker.name.split()[0]}).text)
    assert maker.name.replace("&", "&amp;") in by_name
    sewing = _names(browser.get("/console/makers", params={"q": "sewing"}).text)
    assert sewing and len(sewing) < len(_names(browser.get("/console/makers").text))
    near = browser.get("/console/makers", params={"zip": "48201", "radius": "5"}).text
    assert "within 5 miles of 48201, nearest first" in near
    distances = [float(d) for d in re.findall(r"([\d.]+) mi</span>", near)]
    assert distances == sorted(distances) and all(d <= 5 for d in distances)
    unknown = browser.get("/console/makers", params={"zip": "00000"}).text
    assert "not a known US ZIP code" in unknown
    assert "No maker matches." in browser.get("/console/makers", params={"q": "zzzz qqqq"}).text


def test_a_makers_card_shows_capabilities_as_understood(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    maker = _maker(db)
    page = browser.get(f"/console/makers/{maker.id}")
    assert page.status_code == 200 and maker.phone in page.text and "As the matcher understood it" in page.text
    assert browser.get("/console/makers/99999").status_code == 404


def test_pause_and_resume_tell_the_maker_and_are_audited(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    maker = _maker(db)
    answer = browser.post(f"/console/makers/{maker.id}/pause")
    assert answer.status_code == 303
    assert "The maker is paused" in browser.get(answer.headers["location"]).text
    assert _maker(db).status == "paused"
    again = browser.post(f"/console/makers/{maker.id}/pause")
    assert again.status_code == 409 and "is already paused" in again.text
    assert browser.post(f"/console/makers/{maker.id}/resume").status_code == 303
    assert _maker(db).status == "active"
    with db.read() as session:
        told = session.exec(select(OutboundMessage.purpose).where(OutboundMessage.address == maker.phone)).all()
        actions = session.exec(select(AdminAction.action).order_by(AdminAction.id)).all()
    assert told == ["admin_pause", "admin_resume"]
    assert actions == ["console_login", "maker_pause", "maker_resume"]
    assert "maker_resume" in browser.get(f"/console/makers/{maker.id}").text


def test_a_stopped_maker_stays_stopped_and_forms_need_the_token(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    maker = _maker(db)
    with db.transaction() as session:
        session.get(Maker, maker.id).status = "stopped"
    refused = browser.post(f"/console/makers/{maker.id}/resume")
    assert refused.status_code == 409 and "texting START" in refused.text
    assert browser.http.post(f"/console/makers/{maker.id}/pause", data={}).status_code == 403
    assert browser.post(f"/console/makers/{maker.id}/delete").status_code == 404
    assert _maker(db).status == "stopped"
    with db.read() as session:
        assert session.exec(select(AdminAction.action)).all() == ["console_login"]


def test_an_edit_follows_the_maker_csv_rules_and_is_audited(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    maker = _maker(db)
    form = browser.get(f"/console/makers/{maker.id}/edit").text
    values = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', form))
    assert values["name"] == maker.name.replace("&", "&amp;") and values["zip"] == maker.zip
    values = {k: v.replace("&amp;", "&") for k, v in values.items()}
    bad = browser.post(
        f"/console/makers/{maker.id}/edit", **{**values, "zip": "00000", "capabilities": "laser cutting"}
    )
    assert bad.status_code == 400 and "is not a known US ZIP code" in bad.text and "Not saved" in bad.text
    assert _maker(db).zip == maker.zip
    good = browser.post(
        f"/console/makers/{maker.id}/edit",
        **{**values, "capabilities": "laser cutting; face shields", "lead_time_days": "4", "badges": "Made in Detroit"},
    )
    assert good.status_code == 303
    card = browser.get(good.headers["location"]).text
    assert "The listing is saved" in card and "face shields" in card and "Made in Detroit" in card
    edited = _maker(db)
    assert edited.lead_time_days == 4 and edited.phone == maker.phone
    with db.read() as session:
        assert session.exec(select(AdminAction.action)).all() == ["console_login", "maker_edit"]


def test_a_csv_upload_shows_the_same_row_report(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    csv = (
        b"name,phone,zip,capabilities\n"
        b"New Sew Shop,+13135550777,48201,sewing; masks\n"
        b"No Phone Shop,,48201,sewing\n"
        b"Bad Zip Shop,+13135550778,00000,sewing\n"
    )
    answer = browser.http.post(
        "/console/makers/upload", data={"csrf": browser.csrf}, files={"file": ("makers.csv", csv, "text/csv")}
    )
    assert answer.status_code == 200, answer.text
    assert "1 created, 0 updated, 0 unchanged, 2 skipped" in answer.text
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td></tr>", answer.text)
    assert [line for line, _ in rows] == ["3", "4"] and "no phone number" in rows[0][1]
    assert _maker(db, "+13135550777").name == "New Sew Shop"
    refused = browser.http.post(
        "/console/makers/upload", data={"csrf": browser.csrf}, files={"file": ("x.csv", b"just,a,header\n", "text/csv")}
    )
    assert refused.status_code == 400 and "x.csv" in refused.text
    forged = browser.http.post("/console/makers/upload", files={"file": ("makers.csv", csv, "text/csv")})
    assert forged.status_code == 403
    with db.read() as session:
        actions = session.exec(select(AdminAction.action, AdminAction.detail)).all()
    assert ("makers_import", "makers.csv: 1 created, 0 updated, 2 rows skipped") in actions
