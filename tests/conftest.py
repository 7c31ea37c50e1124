"""Shared fixtures: databases (SQLite always, PostgreSQL when .ci/run provides it) and the demo directory."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from importlib import resources
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import time_machine

from bot.db import Database, normalize_url
from bot.services import makers as maker_service
from matching.directory import Directory
from matching.matcher import Matcher

POSTGRES_ENV = "MAKERLINK_TEST_POSTGRES_URL"
TODAY = date(2026, 11, 27)  # a Friday

# Every test runs with this process's wall clock moved this far ahead (time-machine, ticking), so a test that
# fixes a date while its code under test reads the real clock fails today, not on the day the calendar passes
# that date. `--clock-shift-days 0` runs on the real clock. Tests that run makerlink as another process share
# the database with it, which the shift cannot reach: they are marked `real_clock`.
DEFAULT_CLOCK_SHIFT_DAYS = 3653
REAL_CLOCK_DIRS = ("e2e", "browser")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=DEFAULT_CLOCK_SHIFT_DAYS,
        help="move the tests' wall clock this many days ahead (negative: back; 0: the real clock)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(part in REAL_CLOCK_DIRS for part in item.path.relative_to(config.rootpath).parts[:2]):
            item.add_marker(pytest.mark.real_clock)


@pytest.fixture(autouse=True)
def shifted_wall_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The guard described at DEFAULT_CLOCK_SHIFT_DAYS; the first fixture of every test."""
    days = request.config.getoption("--clock-shift-days")
    if not days or request.node.get_closest_marker("real_clock"):
        yield
        return
    with time_machine.travel(timedelta(days=days), tick=True):
        yield


def demo_csv() -> bytes:
    return (resources.files("bot.data") / "demo_makers.csv").read_bytes()


def _count_demo_makers() -> int:
    with (resources.files("bot.data") / "demo_makers.csv").open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


# Tests compare against this rather than a literal, so adding makers to the demo directory breaks nothing.
DEMO_MAKERS = _count_demo_makers()


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path}/makerlink.db")
    db.upgrade()
    yield db
    db.dispose()


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (.ci/run sets it to the machine's PostgreSQL)")
    return url


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A database URL whose tables land in a new, empty schema of the test PostgreSQL; dropped afterwards."""
    url = postgres_url_or_skip()
    schema = f"mk_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(url))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def postgres_db() -> Iterator[Database]:
    with fresh_postgres_schema() as url:
        db = Database(url)
        try:
            db.upgrade()
            yield db
        finally:
            db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request) -> Database:
    """The same test on SQLite and, where available, on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture(scope="session")
def demo_directory(tmp_path_factory) -> Directory:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db")
    db.upgrade()
    maker_service.import_makers(db, demo_csv(), "demo")
    directory = maker_service.active_directory(db)
    db.dispose()
    return directory


@pytest.fixture(scope="session")
def demo_matcher(demo_directory) -> Matcher:
    return Matcher(demo_directory)


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory) -> Iterator[str]:
    """Base URL of a Prism mock of Twilio's API (tests/peers, installed by `make test`); it keeps no state."""
    from tests.integration.peers import prism_twilio

    with prism_twilio(tmp_path_factory.mktemp("prism")) as url:
        yield url


@pytest.fixture(scope="session")
def telegram_peer(tmp_path_factory) -> Iterator:
    """telegram-test-api behind its compatibility front (a `TelegramPeer`: .url, .api_url, .user(...)); see
    tests/peers/telegram_front.js. Its bots and chats are shared by the session: give each test its own token."""
    from tests.integration.peers import telegram_test_api

    with telegram_test_api(tmp_path_factory.mktemp("telegram")) as peer:
        yield peer


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A database URL for a test that runs makerlink processes: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/bot.db"
        return
    with fresh_postgres_schema() as url:
        yield url
