"""A directory of makers that changes all day: every process follows the changes through the change counter
(bot/maker_changes.py), whatever the clocks say, and a new process starts from a saved directory."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine
from sqlmodel import select

from bot.db import Database
from bot.models import Maker, MakerCapability
from bot.services import directory_snapshot
from bot.services.makers import DirectoryCache, active_directory, import_makers, list_makers
from matching.matcher import Matcher
from matching.taxonomy import load_taxonomy
from tests.conftest import TODAY

TAXONOMY = load_taxonomy()
FROZEN = datetime(2026, 6, 1, 12, tzinfo=UTC)
MAKERS = (
    b"name,phone,zip,capabilities,min_order,lead_time_days\n"
    b"Gowns,(313) 555-0100,48201,isolation gowns,100,5\n"
    b"Shields,(313) 555-0101,48201,face shields,,\n"
    b"Masks,(313) 555-0102,48202,cloth masks,50,\n"
)


def names(cache: DirectoryCache, request: str = "gowns, face shields and masks near 48201") -> set[str]:
    return {m.name for m in Matcher(cache.get()).match(request, now=TODAY).matches}


def test_a_change_reaches_another_process_with_the_clock_frozen(any_db):
    """Two handles on one database stand for two processes; with every clock stopped, each change made through one
    is in the other's next match, and a get that finds nothing new costs one statement."""
    import_makers(any_db, MAKERS, taxonomy=TAXONOMY)
    other = Database(any_db.url)
    try:
        with time_machine.travel(FROZEN, tick=False):
            cache = DirectoryCache(other, TAXONOMY)
            cache.REBUILD_SHARE = 1.0  # a few makers, each a large share of the index: no compaction in this test
            assert names(cache) == {"Gowns", "Shields", "Masks"}
            statements: list[str] = []
            sa.event.listen(other.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
            queries = lambda: [s for s in statements if not s.startswith("BEGIN")]  # noqa: E731 - SQLite's own BEGIN
            cache.get()
            assert len(queries()) == 1  # the counter, nothing else

            with any_db.transaction() as session:
                session.exec(select(Maker).where(Maker.name == "Shields")).one().status = "paused"
            assert names(cache) == {"Gowns", "Masks"}

            with any_db.transaction() as session:
                masks = session.exec(select(Maker).where(Maker.name == "Masks")).one()
                session.add(MakerCapability(maker_id=masks.id or 0, position=1, phrase="face shields"))
            assert names(cache, "face shields near 48201") == {"Masks"}

            with any_db.transaction() as session:
                session.delete(session.exec(select(Maker).where(Maker.name == "Gowns")).one())
            assert names(cache) == {"Masks"}

            aprons = b"name,phone,zip,capabilities\nAprons,(313) 555-0103,48201,aprons\n"
            import_makers(any_db, aprons, taxonomy=TAXONOMY)
            assert "Aprons" in names(cache, "aprons near 48201")
            with any_db.transaction() as session:  # a column the directory does not read changes nothing in it
                session.exec(select(Maker).where(Maker.name == "Masks")).one().notes = "closed on Mondays"
            statements.clear()
            cache.get()
            assert len(queries()) == 1
        assert cache.rebuilds == 1 and cache.followed == 4
        fresh = Matcher(active_directory(other, TAXONOMY)).match("face shields and aprons near 48201", now=TODAY)
        followed = Matcher(cache.get()).match("face shields and aprons near 48201", now=TODAY)
        assert [(m.name, m.score) for m in followed.matches] == [(m.name, m.score) for m in fresh.matches]
    finally:
        other.dispose()


def test_a_reimport_that_changes_a_few_columns_changes_only_those(any_db):
    import_makers(any_db, MAKERS, taxonomy=TAXONOMY)
    before = {v.maker.phone: v for v in list_makers(any_db)}
    with any_db.transaction() as session:  # what makers did since: not in the file, so kept
        session.exec(select(Maker).where(Maker.name == "Gowns")).one().invited_count = 7
    changed = MAKERS.replace(b"isolation gowns,100,5", b"isolation gowns,250,5")
    report = import_makers(any_db, changed, taxonomy=TAXONOMY)
    assert (report.created, report.updated, report.unchanged, report.skipped) == (0, 1, 2, [])
    after = {v.maker.phone: v for v in list_makers(any_db)}
    gowns = after["+13135550100"]
    assert gowns.maker.min_order == 250 and gowns.maker.lead_time_days == 5 and gowns.maker.invited_count == 7
    assert gowns.maker.updated_at > before["+13135550100"].maker.updated_at
    assert [c.id for c in gowns.capabilities] == [c.id for c in before["+13135550100"].capabilities]  # not rewritten
    for phone in ("+13135550101", "+13135550102"):
        assert after[phone].maker == before[phone].maker


def test_a_new_process_starts_from_the_saved_directory_and_the_changes_since(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setattr(directory_snapshot, "SAVE_AT_LEAST", 1)
    snapshots = tmp_path / "cache"
    import_makers(sqlite_db, MAKERS, taxonomy=TAXONOMY)
    first = DirectoryCache(sqlite_db, TAXONOMY, snapshots=snapshots)
    assert names(first) == {"Gowns", "Shields", "Masks"} and not first.loaded
    with sqlite_db.transaction() as session:
        session.exec(select(Maker).where(Maker.name == "Shields")).one().status = "stopped"

    second = DirectoryCache(Database(sqlite_db.url), TAXONOMY, snapshots=snapshots)
    assert names(second) == {"Gowns", "Masks"}
    assert second.loaded and second.rebuilds == 0 and second.followed == 1

    for saved in snapshots.iterdir():  # a damaged file is passed over: the directory is built from the database
        saved.write_bytes(saved.read_bytes()[:100])
    third = DirectoryCache(Database(sqlite_db.url), TAXONOMY, snapshots=snapshots)
    assert names(third) == {"Gowns", "Masks"} and not third.loaded and third.rebuilds == 1

    other = Database(f"sqlite:///{tmp_path}/other.db")  # another database's directory is not this one's
    other.upgrade()
    assert len(DirectoryCache(other, TAXONOMY, snapshots=snapshots).get()) == 0


def test_a_wiped_database_filled_again_is_built_afresh(sqlite_db):
    """The sandbox's Reset empties every table, the counter's too: its numbers start again under a new token."""
    from sqlmodel import SQLModel

    import_makers(sqlite_db, MAKERS, taxonomy=TAXONOMY)
    cache = DirectoryCache(Database(sqlite_db.url), TAXONOMY)
    assert names(cache) == {"Gowns", "Shields", "Masks"}
    with sqlite_db.transaction() as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(table.delete())
    for n in range(4):  # the counter climbs past where it was
        import_makers(sqlite_db, f"name,phone,zip,capabilities\nAprons {n},(313) 555-020{n},48201,aprons\n".encode())
    assert names(cache, "gowns, aprons near 48201") == {"Aprons 0", "Aprons 1", "Aprons 2", "Aprons 3"}
    assert cache.rebuilds == 2
