"""The sandbox's link to the organisers' console: one click opens /console as the sandbox's organiser, through the
same one-time link and Log in button as the bot's /console; outside the sandbox there is no such door."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from bot import bootstrap
from bot.channels import sandbox
from bot.config import Settings, load_settings
from bot.models import AdminAction
from tests.integration.test_console_login import HEADERS


def _sandbox(tmp_path, **overrides) -> tuple[TestClient, bootstrap.Runtime]:
    runtime = bootstrap.start(load_settings(database_url=f"sqlite:///{tmp_path}/sandbox.db", **overrides))
    server, _count = bootstrap.build_sandbox(runtime)
    return TestClient(server.app, follow_redirects=False), runtime


def test_the_sandbox_page_links_to_the_console_logged_in_as_its_organiser(tmp_path):
    http, runtime = _sandbox(tmp_path)
    assert 'href="/sandbox/console"' in http.get("/").text
    assert http.get("/console/").status_code == 401  # mounted, with a key of its own, and still behind a login
    link = http.get("/sandbox/console")
    assert link.status_code == 303 and link.headers["location"].startswith("/console/login/")
    page = http.get(link.headers["location"])
    assert page.status_code == 200 and "Log in" in page.text and "<script" not in page.text
    assert all(name in page.headers for name in HEADERS)  # the console's CSP and the rest
    logged_in = http.post(link.headers["location"])
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/console/"
    today = http.get("/console/")
    assert today.status_code == 200 and "Log out" in today.text
    assert http.post(link.headers["location"]).status_code != 303  # the link was spent
    with runtime.db.read() as session:
        actors = {a.actor for a in session.exec(select(AdminAction)).all()}
    assert f"telegram:{sandbox.ORGANISER_ID}" in actors
    runtime.db.dispose()


def test_the_sandbox_keeps_a_key_that_is_set(tmp_path):
    http, runtime = _sandbox(tmp_path, secret_key="s" * 40)
    assert http.get(http.get("/sandbox/console").headers["location"]).status_code == 200
    assert bootstrap.sandbox_secret(runtime.settings) == "s" * 40
    assert bootstrap.sandbox_secret(load_settings(database_url="sqlite://")) != bootstrap.sandbox_secret(
        load_settings(database_url="sqlite://")
    )  # none set: a fresh random one each process
    runtime.db.dispose()


def test_outside_the_sandbox_there_is_no_such_route_and_no_sandbox_organiser(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/live.db",
        secret_key="k" * 40,
        public_url="https://console.example.org",
        admin_telegram_ids=[1],
        _env_file=None,
    )
    server = bootstrap.build_server(bootstrap.start(settings), background_work=False)
    http = TestClient(server.app, base_url="https://console.example.org", follow_redirects=False)
    assert http.get("/sandbox/console").status_code == 404
    assert http.get("/console/").status_code == 401
