"""Which makers changed, in the order their transactions committed: how every process's directory follows them.

A transaction that changes what the matcher sees of a maker (a directory column of `maker`, a capability phrase, a
trait; a maker added or deleted) raises the one-row counter `directory_version.seq` as the last thing before it
commits, and stamps each maker it changed with the new value in `maker_change`. The counter's row stays locked until
that commit, so transactions take their numbers in the order they commit: a process that reads the counter at N will
find every change numbered up to N. No clock is involved, so frozen test clocks and skewed servers cannot hide a change.

Changes made through ORM objects are noted by the session events below, whatever service makes them. Core statements
on the maker tables cannot say which makers they touched: run through a session, they mark the whole directory as
changed (every process rebuilds), unless the caller names the makers with `note` and runs them on the session's
connection, as the bulk import does. Changes made outside makerlink (psql) are seen when a process starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session

from bot.models import DirectoryVersion, Maker, MakerCapability, MakerChange, MakerTrait

WHOLE_DIRECTORY = 0  # the maker_id of a change nobody could attribute: every process builds afresh
# The maker columns the directory reads (bot/services/makers.py builds its profiles from these); a change to any
# other (last_seen_at, notes, phone…) leaves every directory as it is.
DIRECTORY_FIELDS = (
    "id", "name", "lat", "lon", "zip", "min_order", "max_order", "lead_time_days", "status", "paused_until",
    "invited_count", "replied_count", "yes_count", "median_reply_seconds", "delivered_count", "on_time_count",
    "rating_sum", "rating_count", "kind",
)  # fmt: skip
_TABLES = {Maker.__tablename__, MakerCapability.__tablename__, MakerTrait.__tablename__}
_PENDING = "makerlink_changed_makers"
_UPSERT_BATCH = 10_000
_UPSERT_ARRAY = sa.text(
    "INSERT INTO maker_change (maker_id, seq) SELECT unnest(CAST(:ids AS integer[])), :seq "
    "ON CONFLICT (maker_id) DO UPDATE SET seq = excluded.seq"
)
_version = DirectoryVersion.__table__  # type: ignore[attr-defined]
_changes = MakerChange.__table__  # type: ignore[attr-defined]


def note(session: Session, maker_ids: Iterable[int]) -> None:
    """Count these makers as changed by the session's transaction (for writes the session cannot see)."""
    session.info.setdefault(_PENDING, set()).update(maker_ids)


def current(session: Session) -> tuple[int, str]:
    """The counter as committed (every change numbered up to it can be read) and the database's random token: a
    saved directory names the database it came from by it, and it changes when the counter starts again (a
    database wiped, as the sandbox's Reset does)."""
    found = session.execute(sa.select(_version.c.seq, _version.c.token).where(_version.c.id == 1)).first()
    return (int(found.seq), str(found.token)) if found else (0, "")


def changed_since(session: Session, seq: int) -> set[int]:
    """The makers changed after counter value `seq` (WHOLE_DIRECTORY among them: anything may have)."""
    return set(session.execute(sa.select(_changes.c.maker_id).where(_changes.c.seq > seq)).scalars())


def _stamp(connection: sa.Connection, maker_ids: set[int]) -> None:
    raised = sa.update(_version).where(_version.c.id == 1).values(seq=_version.c.seq + 1).returning(_version.c.seq)
    seq = connection.execute(raised).scalar()
    if seq is None:  # a database whose counter row was never written
        seq = 1
        connection.execute(sa.insert(_version).values(id=1, seq=seq, token=uuid.uuid4().hex))
    ordered = sorted(maker_ids)  # the same order in every transaction: rows are locked without deadlocks
    if connection.dialect.name == "postgresql":  # one statement, however many makers an import changed
        connection.execute(_UPSERT_ARRAY, {"ids": ordered, "seq": seq})
        return
    upsert = sqlite_insert(_changes)
    upsert = upsert.on_conflict_do_update(index_elements=["maker_id"], set_={"seq": upsert.excluded.seq})
    for start in range(0, len(ordered), _UPSERT_BATCH):
        connection.execute(upsert, [{"maker_id": i, "seq": seq} for i in ordered[start : start + _UPSERT_BATCH]])


def _owners(objects: Iterable[object], dirty: bool) -> Iterable[int]:
    for obj in objects:
        if isinstance(obj, Maker):
            if not dirty or _directory_fields_changed(obj):
                yield obj.id or 0
        elif isinstance(obj, MakerCapability | MakerTrait) and (not dirty or sa.inspect(obj).modified):
            history = sa.inspect(obj).attrs.maker_id.history
            yield from (i for i in (*history.deleted, *history.unchanged, *history.added) if i is not None)


def _directory_fields_changed(maker: Maker) -> bool:
    attrs = sa.inspect(maker).attrs
    return any(attrs[name].history.has_changes() for name in DIRECTORY_FIELDS)


@sa.event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    changed = {*_owners(session.new, False), *_owners(session.deleted, False), *_owners(session.dirty, True)}
    if changed:
        note(session, changed)


@sa.event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _TABLES:
        note(state.session, [WHOLE_DIRECTORY])


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # the outermost commit stamps what its savepoints changed
    session.flush()
    changed = session.info.pop(_PENDING, None)
    if changed:
        _stamp(session.connection(), changed)


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
