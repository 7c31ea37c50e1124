"""The organisers' console login: a one-time link from the bot opens a session; every other way in is refused and
changes nothing; sessions end at log-out and when the organiser's id leaves MAKERLINK_ADMIN_TELEGRAM_IDS."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import select

from bot import texts
from bot.console.app import console_off
from bot.console.security import LoginThrottle
from bot.models import AdminAction, ConsoleLogin, ConsoleSession, Request, utcnow
from bot.services import requests as request_service
from bot.signing import SESSION, Expired, Signer, new_nonce
from bot.web import create_app
from tests.integration.console_client import (
    ORGANISER,
    PUBLIC_URL,
    TAXONOMY,
    client,
    console_app,
    db,  # noqa: F401 - the fixture
    issue_link,
    log_in,
    snapshot,
)

HEADERS = ("content-security-policy", "x-frame-options", "referrer-policy")


def test_a_link_logs_in_and_shows_today(db):  # noqa: F811
    http = client(console_app(db))
    path = issue_link(db)
    page = http.get(path)
    assert page.status_code == 200 and "Log in" in page.text
    assert snapshot(db).sessions == 0  # opening the link (or a chat's link preview) spends nothing
    answer = http.post(path)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    cookie = answer.headers["set-cookie"]
    for part in ("makerlink_console=", "HttpOnly", "Secure", "SameSite=strict", "Max-Age=43200", "Path=/console"):
        assert part.lower() in cookie.lower(), cookie
    today = http.get("/console/")
    assert today.status_code == 200 and "<h1>Today</h1>" in today.text
    assert "Requests waiting for answers" in today.text and "Makers gone quiet" in today.text
    with db.read() as session:
        assert session.exec(select(AdminAction.actor, AdminAction.action)).all() == [
            (f"telegram:{ORGANISER}", "console_login")
        ]


def test_the_cookie_is_not_secure_on_plain_http(db):  # noqa: F811
    from starlette.testclient import TestClient

    from bot.console.app import ConsoleConfig, build_console
    from bot.console.pages import Programme
    from bot.services.followups import FollowUpPolicy

    programme = Programme(FollowUpPolicy(), "UTC", 2)
    config = ConsoleConfig(Signer("k" * 40), (ORGANISER,), "http://127.0.0.1:8000", programme)
    app = create_app(db, console=build_console(db, config, lambda: None, TAXONOMY))
    http = TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    answer = http.post(issue_link(db))
    assert answer.status_code == 303 and "secure" not in answer.headers["set-cookie"].lower()


def _expire(database, path):
    with database.transaction() as session:
        session.execute(sa.update(ConsoleLogin).values(expires_at=utcnow() - timedelta(seconds=1)))
    return path


def _forge(path):
    return path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")


REFUSED_LINKS = {
    "used": lambda database, http: _used(database, http),
    "expired": lambda database, http: _expire(database, issue_link(database)),
    "not an organiser": lambda database, http: issue_link(database, telegram_id=555),
    "forged": lambda database, http: _forge(issue_link(database)),
    "another key": lambda database, http: issue_link(database, secret="z" * 40),
}


def _used(db, http):  # noqa: F811
    path = issue_link(db)
    assert http.post(path).status_code == 303
    http.cookies.clear()
    return path


@pytest.mark.parametrize("case", REFUSED_LINKS)
def test_a_link_that_cannot_be_used_is_refused_and_changes_nothing(db, case, caplog):  # noqa: F811
    http = client(console_app(db))
    path = REFUSED_LINKS[case](db, http)
    before = snapshot(db)
    caplog.set_level(logging.WARNING)
    for answer in (http.get(path), http.post(path)):
        assert answer.status_code == 403 and texts.CONSOLE_NEW_LINK in answer.text
        assert "set-cookie" not in answer.headers
    assert snapshot(db) == before
    assert http.get("/console/").status_code == 401
    token = path.rsplit("/", 1)[1]
    assert "login link refused" in caplog.text and token not in caplog.text and token[-20:] not in caplog.text


def test_a_signature_past_ten_minutes_is_expired():
    signer = Signer("k" * 40)
    token = signer.sign("purpose", "nonce")
    assert signer.unsign("purpose", token, timedelta(minutes=10)) == "nonce"
    assert signer.unsign("other purpose", token, timedelta(minutes=10)) is None
    signed_at = time.time()
    with time_machine.travel(timedelta(minutes=11)):
        assert 650 < time.time() - signed_at < 700
        with pytest.raises(Expired):
            signer.unsign("purpose", token, timedelta(minutes=10))


def test_two_tabs_opening_one_link_make_one_session(db):  # noqa: F811
    app = console_app(db)
    path = issue_link(db)
    first, second = client(app).post(path), client(app).post(path)
    assert sorted([first.status_code, second.status_code]) == [303, 403]
    assert snapshot(db).sessions == 1


def _open_request(db):  # noqa: F811
    opened = request_service.open_request(
        db, TAXONOMY, "500 face shields by Friday near 48201", radius_miles=50, max_invites=2
    )
    return opened.request.code


def _status(db, code):  # noqa: F811
    with db.read() as session:
        return session.exec(select(Request.status).where(Request.code == code)).one()


def test_a_forged_cookie_gets_nothing(db):  # noqa: F811
    code = _open_request(db)
    http = client(console_app(db))
    before = snapshot(db)
    forged = [
        "not-even-signed",
        Signer("z" * 40).sign(SESSION, new_nonce()),  # another key
        Signer("k" * 40).sign(SESSION, new_nonce()),  # the right key, but no such session
        Signer("k" * 40).sign("makerlink.console.login", new_nonce()),  # a login token passed off as a cookie
    ]
    for cookie in forged:
        http.cookies.set("makerlink_console", cookie, domain="console.example.org", path="/console")
        assert http.get("/console/").status_code == 401
        assert http.get(f"/console/requests/{code}").status_code == 401
        assert http.post(f"/console/requests/{code}/close", data={"csrf": "x"}).status_code == 401
    assert _status(db, code) == "open" and snapshot(db) == before


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(db):  # noqa: F811
    code = _open_request(db)
    browser = log_in(client(console_app(db)), db)
    other = log_in(client(console_app(db)), db)
    before = snapshot(db)
    for form in ({}, {"csrf": ""}, {"csrf": other.csrf}):
        answer = browser.http.post(f"/console/requests/{code}/close", data=form)
        assert answer.status_code == 403 and "did not come from the console" in answer.text
    foreign = browser.http.post(
        f"/console/requests/{code}/close", data={"csrf": browser.csrf}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    cross_site = browser.http.post(
        f"/console/requests/{code}/close", data={"csrf": browser.csrf}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    as_json = browser.http.post(f"/console/requests/{code}/close", json={"csrf": browser.csrf})
    assert as_json.status_code == 403
    assert browser.http.post("/console/logout").status_code == 403  # log-out is a form too
    assert _status(db, code) == "open" and snapshot(db) == before


def test_log_out_ends_the_session_on_the_server(db):  # noqa: F811
    code = _open_request(db)
    browser = log_in(client(console_app(db)), db)
    cookie = browser.http.cookies.get("makerlink_console")
    answer = browser.post("/console/logout")
    assert answer.status_code == 200 and texts.CONSOLE_LOGGED_OUT in answer.text
    assert 'makerlink_console=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    with db.read() as session:
        ended = session.exec(select(ConsoleSession)).one()
    assert ended.ended_why == "logged out"
    # A copy of the cookie kept from before opens nothing any more.
    browser.http.cookies.set("makerlink_console", cookie, domain="console.example.org", path="/console")
    before = snapshot(db)
    assert browser.get("/console/").status_code == 401
    assert browser.post(f"/console/requests/{code}/close").status_code == 401
    assert _status(db, code) == "open" and snapshot(db) == before


def test_an_organiser_removed_from_the_admin_ids_loses_the_session(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    cookie = browser.http.cookies.get("makerlink_console")
    # The operator takes the id out of MAKERLINK_ADMIN_TELEGRAM_IDS and restarts.
    restarted = client(console_app(db, admin_ids=(111,)))
    restarted.cookies.set("makerlink_console", cookie, domain="console.example.org", path="/console")
    assert restarted.get("/console/").status_code == 401
    with db.read() as session:
        row = session.exec(select(ConsoleSession)).one()
        actions = session.exec(select(AdminAction.action, AdminAction.detail)).all()
    assert row.ended_why == "no longer an organiser" and ("console_ended", "no longer an organiser") in actions
    # Ended for good: putting the id back does not bring that session back.
    assert browser.get("/console/").status_code == 401


def test_failed_logins_are_throttled_per_address(db):  # noqa: F811
    ticks = [0.0]
    http = client(console_app(db, throttle=LoginThrottle(limit=3, window=600, clock=lambda: ticks[0])))
    bad = _forge(issue_link(db))
    for _ in range(3):
        assert http.get(bad).status_code == 403
    good = issue_link(db)
    refused = http.post(good)
    assert refused.status_code == 429 and "Retry-After" in refused.headers and "Too many failed" in refused.text
    assert snapshot(db).sessions == 0
    ticks[0] = 601.0
    assert http.post(good).status_code == 303


@pytest.mark.parametrize("path", ["/console/", "/console/nowhere", "/console/static/console.css", "LOGIN", "BAD"])
def test_every_console_response_has_the_security_headers(db, path):  # noqa: F811
    http = client(console_app(db))
    if path == "LOGIN":
        path = issue_link(db)
    elif path == "BAD":
        path = _forge(issue_link(db))
    answer = http.get(path)
    csp = answer.headers["content-security-policy"]
    assert "script-src https://console.example.org/console/static/" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"


def test_the_pages_carry_no_inline_script_or_style(db):  # noqa: F811
    browser = log_in(client(console_app(db)), db)
    pages = (
        "/console/",
        "/console/requests",
        "/console/makers",
        "/console/makers/upload",
        "/console/makers/1/edit",
        "/console/messages",
        "/console/figures",
        "/console/broadcasts",
    )
    for path in (*pages, f"/console/requests/{_open_request(db)}", "/console/makers/1"):
        html = browser.get(path).text
        assert "<script>" not in html and "style=" not in html and "<style" not in html and "http://" not in html


def test_without_a_secret_key_the_console_says_it_is_off(db):  # noqa: F811
    from starlette.testclient import TestClient

    http = TestClient(create_app(db, console=console_off()), base_url=PUBLIC_URL)
    for answer in (http.get("/console/"), http.get(issue_link(db)), http.post("/console/logout")):
        assert answer.status_code == 503 and answer.text == texts.CONSOLE_OFF
        assert all(name in answer.headers for name in HEADERS)


@pytest.mark.parametrize("background_work", [True, False], ids=["serve", "web"])
def test_serve_and_web_mount_the_console_when_a_key_is_set(tmp_path, background_work):
    from starlette.testclient import TestClient

    from bot import bootstrap
    from bot.config import Settings

    for key, status in (("k" * 40, 401), (None, 503)):
        settings = Settings(
            database_url=f"sqlite:///{tmp_path}/roles-{status}.db",
            secret_key=key,
            public_url=PUBLIC_URL,
            admin_telegram_ids=[ORGANISER],
            _env_file=None,
        )
        server = bootstrap.build_server(bootstrap.start(settings), background_work=background_work)
        answer = TestClient(server.app, base_url=PUBLIC_URL).get("/console/")
        assert answer.status_code == status and all(name in answer.headers for name in HEADERS)
