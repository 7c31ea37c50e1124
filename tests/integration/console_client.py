"""A harness for the organisers' console: the web app with the console mounted, on a database with the demo makers,
and an organiser who logs in as a browser would (a link from the bot, its button, the cookie)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot.console.app import ConsoleConfig, build_console
from bot.console.pages import Programme
from bot.console.security import LoginThrottle
from bot.db import Database
from bot.models import AdminAction, ConsoleLogin, ConsoleSession, utcnow
from bot.services import console_access
from bot.services import makers as maker_service
from bot.services.followups import FollowUpPolicy
from bot.signing import Signer
from bot.web import create_app
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv

PUBLIC_URL = "https://console.example.org"
SECRET = "k" * 40
ORGANISER = 999
TAXONOMY = load_taxonomy()
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_app(
    db: Database, admin_ids: tuple[int, ...] = (ORGANISER,), secret: str = SECRET, throttle=None, telegram_login=None
):
    config = ConsoleConfig(
        signer=Signer(secret),
        admin_ids=admin_ids,
        public_url=PUBLIC_URL,
        programme=Programme(policy=FollowUpPolicy(), timezone="America/Detroit", max_invites=2),
        telegram_login=telegram_login,
    )
    cache = maker_service.DirectoryCache(db, TAXONOMY)
    return create_app(db, console=build_console(db, config, cache.get, TAXONOMY, throttle or LoginThrottle()))


def client(app) -> TestClient:
    # https, as behind the deployment's proxy: the session cookie is Secure, and httpx sends it only over https.
    return TestClient(app, base_url=PUBLIC_URL, follow_redirects=False)


def issue_link(db: Database, telegram_id: int = ORGANISER, secret: str = SECRET) -> str:
    """The path of a fresh login link, as the bot's /console would send it."""
    links = console_access.ConsoleLinks(public_url=PUBLIC_URL, signer=Signer(secret))
    with db.transaction() as session:
        url = console_access.issue_link(session, links, telegram_id, utcnow())
    return url.removeprefix(PUBLIC_URL)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Browser:
    """One organiser's browser, logged in."""

    http: TestClient
    csrf: str

    def get(self, path: str, **options):
        return self.http.get(path, **options)

    def post(self, path: str, **form):
        return self.http.post(path, data={"csrf": self.csrf, **form})


def log_in(http: TestClient, db: Database, telegram_id: int = ORGANISER) -> Browser:
    path = issue_link(db, telegram_id)
    assert http.get(path).status_code == 200
    answer = http.post(path)
    assert answer.status_code == 303, answer.text
    today = http.get("/console/")
    assert today.status_code == 200, today.text
    return Browser(http, csrf_of(today.text))


@dataclass(frozen=True)
class Snapshot:
    """What a refused request must leave as it was."""

    sessions: int
    logins_used: int
    actions: int


def snapshot(db: Database) -> Snapshot:
    with db.read() as session:
        live = session.exec(select(ConsoleSession).where(ConsoleSession.ended_at.is_(None))).all()
        used = session.exec(select(ConsoleLogin).where(ConsoleLogin.used_at.is_not(None))).all()
        actions = session.exec(select(AdminAction)).all()
    return Snapshot(len(live), len(used), len(actions))


@pytest.fixture
def db(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return any_db
