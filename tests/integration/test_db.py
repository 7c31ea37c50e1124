"""The database layer on SQLite and, when .ci/run provides it, on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.db import Database, SchemaOutOfDate, safe_url
from bot.models import Maker, MakerCapability, utcnow
from bot.services.makers import active_directory, import_makers, list_makers
from matching.matcher import Matcher
from tests.conftest import TODAY, demo_csv


def test_migrations_reach_head(any_db):
    assert any_db.current_revision() == any_db.head_revision() == "0013"
    tables = set(sa.inspect(any_db.engine).get_table_names())
    assert {"maker", "maker_capability", "request", "invitation", "outbound_message", "alembic_version"} <= tables
    assert {"console_login", "console_session"} <= tables


def test_upgrade_is_idempotent(any_db):
    assert any_db.upgrade() == "0013"


def test_phone_is_unique(any_db):
    with any_db.transaction() as session:
        session.add(Maker(name="A", phone="+13135550100", zip="48201"))
    with pytest.raises(sa.exc.IntegrityError), any_db.transaction() as session:
        session.add(Maker(name="B", phone="+13135550100", zip="48202"))


def test_status_is_checked(any_db):
    with pytest.raises(sa.exc.IntegrityError), any_db.transaction() as session:
        session.add(Maker(name="A", phone="+13135550100", zip="48201", status="sleeping"))


def test_failed_transaction_writes_nothing(any_db):
    with pytest.raises(RuntimeError), any_db.transaction() as session:
        session.add(Maker(name="A", phone="+13135550100", zip="48201"))
        session.flush()
        raise RuntimeError("boom")
    with any_db.read() as session:
        assert session.exec(select(Maker)).all() == []


def test_capabilities_go_with_their_maker(any_db):
    import_makers(any_db, b"name,phone,zip,capabilities\nShop,(313) 555-0100,48201,gowns;masks\n")
    with any_db.transaction() as session:
        session.delete(session.exec(select(Maker)).one())
    with any_db.read() as session:
        assert session.exec(select(MakerCapability)).all() == []


def test_demo_import_and_match_end_to_end(any_db):
    report = import_makers(any_db, demo_csv(), "demo")
    assert report.created >= 60 and report.skipped == []
    again = import_makers(any_db, demo_csv(), "demo")
    assert again.unchanged == report.created and again.created == again.updated == 0
    result = Matcher(active_directory(any_db)).match("need 500 face shields by Friday near 48201", now=TODAY)
    assert result.matches[0].fit == "listed"
    assert len(list_makers(any_db, status="active")) == report.created


def test_paused_makers_are_not_matched(any_db):
    import_makers(any_db, b"name,phone,zip,capabilities\nShop,(313) 555-0100,48201,gowns\n")
    with any_db.transaction() as session:
        maker = session.exec(select(Maker)).one()
        maker.status = "paused"
    assert Matcher(active_directory(any_db)).match("gowns", zip="48201", now=TODAY).matches == ()


def test_the_directory_read_from_the_database_keeps_what_the_matcher_needs(any_db):
    """Phrases in the maker's order, pauses that are over count as active, and the record's responsiveness."""
    import_makers(
        any_db,
        b"name,phone,zip,capabilities,min_order,max_order,lead_time_days\n"
        b"Bakery,(313) 555-0100,48201,sourdough; bagels; cakes,10,500,2\n"
        b"Resting,(313) 555-0101,48202,pallets\n"
        b"Back,(313) 555-0102,48203,crates\n",
    )
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with any_db.transaction() as session:
        makers = {m.name: m for m in session.exec(select(Maker))}
        makers["Resting"].status, makers["Resting"].paused_until = "paused", now + timedelta(days=1)
        makers["Back"].status, makers["Back"].paused_until = "paused", now - timedelta(hours=1)
        makers["Bakery"].invited_count, makers["Bakery"].replied_count = 4, 4
    directory = active_directory(any_db, now=now)
    by_name = {m.name: m for m in directory.makers}
    assert set(by_name) == {"Bakery", "Back"}
    bakery = by_name["Bakery"]
    assert bakery.capabilities == ("sourdough", "bagels", "cakes")
    assert (bakery.zip, bakery.min_order, bakery.max_order, bakery.lead_time_days) == ("48201", 10, 500, 2)
    assert bakery.lat is not None and bakery.responsiveness is not None and bakery.responsiveness > 0.5
    assert by_name["Back"].responsiveness is None


def test_sqlite_runs_in_wal_mode(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_write_transactions_take_the_lock_up_front(sqlite_db):
    """BEGIN IMMEDIATE: a second writer cannot even start while the first holds the transaction open."""
    path = sqlite_db.engine.url.database
    started = threading.Event()
    release = threading.Event()

    def first_writer():
        with sqlite_db.transaction() as session:
            session.connection()  # opens the transaction, before any write
            started.set()
            release.wait(5)

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert started.wait(5)
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        # Readers are not blocked (WAL).
        assert other.execute("SELECT count(*) FROM maker").fetchone() == (0,)
    finally:
        release.set()
        thread.join()
        other.close()
    other = sqlite3.connect(path, timeout=1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_reads_do_not_take_the_write_lock(sqlite_db):
    path = sqlite_db.engine.url.database
    with sqlite_db.read() as session:
        session.exec(select(Maker)).all()
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_fresh_sqlite_file_is_brought_up_to_date(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/new.db")
    assert db.current_revision() is None
    db.ensure_schema()
    assert db.current_revision() == db.head_revision()
    db.dispose()


def test_postgres_is_not_migrated_behind_the_operators_back(postgres_db):
    with postgres_db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
    with pytest.raises(SchemaOutOfDate, match="makerlink db upgrade"):
        postgres_db.ensure_schema()


def test_urls_in_messages_hide_passwords():
    assert safe_url("postgresql+psycopg://bot:hunter2@db.example.org/makerlink") == (
        "postgresql+psycopg://bot:***@db.example.org/makerlink"
    )


def test_models_and_migrations_agree(any_db):
    """`alembic revision --autogenerate` would find nothing to do: the models are what the migrations build."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import bot.models  # noqa: F401

    with any_db.engine.connect() as conn:
        # SQLite reflects an empty-string default as "''", so defaults are compared on PostgreSQL only.
        defaults = conn.dialect.name != "sqlite"
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": defaults})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_a_future_sqlite_table_rebuild_keeps_child_rows(sqlite_db, tmp_path):
    """SQLite alters a table by rebuilding it; the migration environment must not let that cascade."""
    import shutil
    from importlib import resources

    from alembic import command

    import_makers(sqlite_db, demo_csv(), "demo")
    with sqlite_db.read() as session:
        before = len(session.exec(select(MakerCapability)).all())
    scripts = tmp_path / "migrations"
    shutil.copytree(resources.files("bot") / "migrations", scripts)
    (scripts / "versions" / "9999_rebuild.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "9999"\n'
        f"down_revision = {sqlite_db.head_revision()!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
        '    with op.batch_alter_table("maker", recreate="always") as batch:\n'
        '        batch.alter_column("name", type_=sa.String(300))\n\n\ndef downgrade():\n    pass\n'
    )
    config = sqlite_db._alembic_config()
    config.set_main_option("script_location", str(scripts))
    command.upgrade(config, "head")
    with sqlite_db.read() as session:
        assert len(session.exec(select(MakerCapability)).all()) == before > 0
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_directory_cache_follows_changes_without_rebuilding(any_db):
    """A join, an update, a pause and its end reach the cached directory as the same answers a fresh build gives."""
    from bot.services.makers import DirectoryCache

    import_makers(any_db, b"name,phone,zip,capabilities\nGowns,(313) 555-0100,48201,isolation gowns\n")
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    cache = DirectoryCache(any_db)
    cache.REBUILD_SHARE = 0.9  # a few makers, each a large share of the index: no compaction in this test
    assert len(cache.get(start)) == 1

    def same_as_fresh(now: datetime) -> list[str]:
        followed = Matcher(cache.get(now)).match("gowns and face shields near 48201", now=TODAY)
        fresh = Matcher(active_directory(any_db, now=now)).match("gowns and face shields near 48201", now=TODAY)
        assert [(m.name, m.score) for m in followed.matches] == [(m.name, m.score) for m in fresh.matches]
        return [m.name for m in followed.matches]

    import_makers(any_db, b"name,phone,zip,capabilities\nShields,(313) 555-0101,48201,face shields\n")
    assert set(same_as_fresh(start)) == {"Gowns", "Shields"}
    import_makers(any_db, b"name,phone,zip,capabilities\nGowns,(313) 555-0100,48201,isolation gowns; face shields\n")
    assert same_as_fresh(start)[0] == "Gowns"  # now makes both
    with any_db.transaction() as session:
        shields = session.exec(select(Maker).where(Maker.name == "Shields")).one()
        shields.status, shields.paused_until = "paused", start + timedelta(days=1)
        shields.updated_at = utcnow()
    assert same_as_fresh(start) == ["Gowns"]
    assert set(same_as_fresh(start + timedelta(days=2))) == {"Gowns", "Shields"}  # the pause ran out
    assert cache.rebuilds == 1 and cache.followed >= 4
    # A statement that changes phrases without naming their makers: whose, nobody can say, so the cache builds afresh.
    with any_db.transaction() as session:
        session.execute(sa.delete(MakerCapability).where(MakerCapability.phrase == "face shields"))
    assert set(same_as_fresh(start + timedelta(days=2))) == {"Gowns"}
    assert cache.rebuilds == 2


TRAITS_CSV = (
    "name,phone,zip,capabilities,type,badges,practices,training\n"
    "Green Tees,(313) 555-0100,48201,screen printing; t-shirts,business,Made in Detroit,"
    "water-based inks; solar powered,\n"
    "Plain Tees,(313) 555-0101,48201,screen printing; t-shirts,,,,\n"
    "The Hive,(313) 555-0102,48201,laser cutting; 3D printing,Makerspace,,,open shop hours; TIG welding classes\n"
)


def test_an_import_with_type_badges_practices_and_training(any_db):
    report = import_makers(any_db, TRAITS_CSV.encode())
    assert report.created == 3 and report.skipped == [] and report.ignored_columns == []
    shown = {view.maker.name: view.as_dict() for view in list_makers(any_db)}
    assert shown["Green Tees"]["badges"] == ["Made in Detroit"]
    assert shown["Green Tees"]["practices"] == ["water-based inks", "solar powered"]
    assert shown["The Hive"]["type"] == "makerspace" and shown["Plain Tees"]["type"] == "business"
    assert shown["The Hive"]["training"] == ["open shop hours", "TIG welding classes"]
    matcher = Matcher(active_directory(any_db))
    green = matcher.match("200 eco-friendly t-shirts near 48201", now=TODAY)
    assert green.matches[0].name == "Green Tees" and "greener" in green.matches[0].why
    only = matcher.match("only Made in Detroit t-shirts near 48201", now=TODAY)
    assert [m.name for m in only.matches] == ["Green Tees"] and only.hidden == 1
    assert [m.name for m in matcher.match("welding class for 4 near 48201", now=TODAY).matches] == ["The Hive"]


def test_traits_stay_unless_the_file_has_their_column_and_a_bad_type_is_one_clear_sentence(any_db):
    import_makers(any_db, TRAITS_CSV.encode())
    same = b"name,phone,zip,capabilities\nGreen Tees,(313) 555-0100,48201,screen printing; t-shirts\n"
    again = import_makers(any_db, same)
    assert again.unchanged == 1
    cleared = import_makers(
        any_db, b"name,phone,zip,capabilities,badges\nGreen Tees,(313) 555-0100,48201,screen printing; t-shirts,\n"
    )
    assert cleared.updated == 1
    green = next(v for v in list_makers(any_db) if v.maker.name == "Green Tees").as_dict()
    assert green["badges"] == [] and green["practices"] == ["water-based inks", "solar powered"]
    bad = import_makers(any_db, b"name,phone,zip,capabilities,type\nShop,(313) 555-0109,48201,gowns,factory\n")
    assert bad.created == 0 and [p.line for p in bad.skipped] == [2]
    assert bad.skipped[0].reason == "type “factory” is not one of business, makerspace, school, cooperative, individual"
