"""Saving the rows of a maker CSV (read by maker_csv.py) in bulk: a few statements per table, not a few per row.

The makers already there are read by phone a few thousand at a time, with their phrases and traits; each row is
then compared in memory and comes out created, updated or unchanged, exactly as a row-by-row save would decide.
New makers are inserted in batches, changed ones updated by id, and their capabilities and traits replaced only
where they changed, all on the caller's transaction; the makers written are noted for every process's directory
(bot/maker_changes.py).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot import maker_changes
from bot.models import Maker, MakerCapability, MakerTrait, utcnow
from bot.services.maker_csv import MakerRow
from matching.practices import practices_in
from matching.preferences import slug
from matching.taxonomy import Taxonomy

CHUNK = 5_000  # ids or phones per IN (…): far below SQLite's limit on bound values
_CHUNK: sa.BindParameter[Any] = sa.bindparam("chunk", expanding=True)  # one statement for every chunk, compiled once
_makers: sa.Table = Maker.__table__  # type: ignore[attr-defined]
_capabilities: sa.Table = MakerCapability.__table__  # type: ignore[attr-defined]
_traits: sa.Table = MakerTrait.__table__  # type: ignore[attr-defined]


def capability_concepts(taxonomy: Taxonomy, phrase: str) -> str:
    """The taxonomy ids a capability phrase names, space-separated as stored."""
    return " ".join(tag.id for tag in taxonomy.tag(phrase))


def trait_concepts(taxonomy: Taxonomy, kind: str, phrase: str) -> str:
    """What a trait names, space-separated as stored: practices in their shared vocabulary, training in the
    taxonomy's ids, labels as their comparable word ("made-in-detroit")."""
    if kind == "practice":
        return " ".join(practices_in(phrase))
    if kind == "training":
        return capability_concepts(taxonomy, phrase)
    return slug(phrase)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _fields(row: MakerRow) -> dict[str, Any]:
    place = row.place
    return {
        "name": row.name,
        "zip": place.zip,
        "lat": place.lat,
        "lon": place.lon,
        "timezone": place.timezone,
        **row.optional,
    }


@dataclass
class _Known:
    """What the database holds of the makers a file names, by phone and by maker id."""

    makers: dict[str, dict[str, Any]] = field(default_factory=dict)
    phrases: dict[int, list[str]] = field(default_factory=dict)
    traits: dict[tuple[int, str], list[str]] = field(default_factory=dict)


def _read_known(connection: sa.Connection, rows: Sequence[MakerRow]) -> _Known:
    """The makers with the file's phones, their phrases and traits: looked up by phone for a small file, read in one
    pass over each table for a large one (a few thousand lookups cost more than reading everything)."""
    known = _Known()
    phones = [row.phone for row in rows]
    few = {"chunk": phones} if len(phones) <= CHUNK else None
    names = ["id", "phone", *sorted({key for row in rows for key in _fields(row)})]
    makers = sa.select(*(_makers.c[name] for name in names))
    wanted = set(phones)
    for found in connection.execute(makers.where(_makers.c.phone.in_(_CHUNK)) if few else makers, few):
        if found.phone in wanted:
            known.makers[found.phone] = dict(zip(names, found, strict=True))
    ids = {maker["id"] for maker in known.makers.values()}
    if not ids:
        return known
    few = {"chunk": sorted(ids)} if len(ids) <= CHUNK else None
    phrases = sa.select(_capabilities.c.maker_id, _capabilities.c.phrase).order_by(
        _capabilities.c.maker_id, _capabilities.c.position, _capabilities.c.id
    )
    for maker_id, phrase in connection.execute(
        phrases.where(_capabilities.c.maker_id.in_(_CHUNK)) if few else phrases, few
    ):
        if maker_id in ids:
            known.phrases.setdefault(maker_id, []).append(phrase)
    traits = sa.select(_traits.c.maker_id, _traits.c.kind, _traits.c.phrase).order_by(
        _traits.c.maker_id, _traits.c.position, _traits.c.id
    )
    for maker_id, kind, phrase in connection.execute(
        traits.where(_traits.c.maker_id.in_(_CHUNK)) if few else traits, few
    ):
        if maker_id in ids:
            known.traits.setdefault((maker_id, kind), []).append(phrase)
    return known


@dataclass
class _Plan:
    """What to write: new makers, changed makers' fields, and the phrases and traits to replace."""

    outcomes: Counter[str] = field(default_factory=Counter)
    new: list[MakerRow] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    phrases: dict[int, tuple[str, ...]] = field(default_factory=dict)  # maker id → its new phrases
    traits: dict[tuple[int, str], tuple[str, ...]] = field(default_factory=dict)  # (maker id, kind) → new phrases


def _plan(rows: Sequence[MakerRow], known: _Known) -> _Plan:
    plan = _Plan()
    now = utcnow()
    for row in rows:
        fields = _fields(row)
        maker = known.makers.get(row.phone)
        if maker is None:
            plan.new.append(row)
            plan.outcomes["created"] += 1
            continue
        maker_id = maker["id"]
        phrases_differ = known.phrases.get(maker_id, []) != list(row.capabilities)
        kinds = [
            kind for kind, phrases in row.traits.items() if known.traits.get((maker_id, kind), []) != list(phrases)
        ]
        if not phrases_differ and not kinds and all(maker[key] == value for key, value in fields.items()):
            plan.outcomes["unchanged"] += 1
            continue
        plan.outcomes["updated"] += 1
        plan.updates.append({"_id": maker_id, **fields, "updated_at": now})
        if phrases_differ:
            plan.phrases[maker_id] = row.capabilities
        for kind in kinds:
            plan.traits[(maker_id, kind)] = row.traits[kind]
    return plan


class _Concepts:
    """Concepts of phrases, each phrase read once per import: directories repeat their phrases a lot. Reading the
    phrases is most of an import's work, so many new ones are read by one forked process per core."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._known: dict[tuple[str, str], str] = {}

    def of(self, kind: str, phrase: str) -> str:
        key = (kind, phrase)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = _concepts(self.taxonomy, key)
        return found

    def read_ahead(self, keys: Iterable[tuple[str, str]]) -> None:
        """Read these (kind, phrase) pairs now, in parallel when there are many of them."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._known]
        workers = min(os.cpu_count() or 1, 4)
        if len(missing) < PARALLEL_AT_LEAST or workers < 2 or "fork" not in mp.get_all_start_methods():
            return  # read one by one as they are written
        global _forked_taxonomy
        _forked_taxonomy = self.taxonomy  # what the forked processes read with: inherited, not sent
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                found = pool.map(_concepts_in_fork, missing, chunksize=max(1, len(missing) // (workers * 8)))
        finally:
            _forked_taxonomy = None
        self._known.update(zip(missing, found, strict=True))


PARALLEL_AT_LEAST = 20_000  # phrases: below this, starting processes costs more than it saves
_forked_taxonomy: Taxonomy | None = None


def _concepts(taxonomy: Taxonomy, key: tuple[str, str]) -> str:
    kind, phrase = key
    return capability_concepts(taxonomy, phrase) if kind == "capability" else trait_concepts(taxonomy, kind, phrase)


def _concepts_in_fork(key: tuple[str, str]) -> str:
    assert _forked_taxonomy is not None
    return _concepts(_forked_taxonomy, key)


def _insert(connection: sa.Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    """Insert many rows with the same keys: PostgreSQL's COPY, else an executemany per chunk."""
    if not values:
        return
    if connection.dialect.name != "postgresql":
        for chunk in _chunks(values):
            connection.execute(sa.insert(table), list(chunk))
        return
    _copy(connection, table.name, list(values[0]), ([row[c] for c in row] for row in values))


def _copy(connection: sa.Connection, table: str, columns: list[str], rows: Iterable[list[Any]]) -> None:
    quote = connection.dialect.identifier_preparer.quote
    copy_in = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    driver = connection.connection.driver_connection  # psycopg's, in the same transaction
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(copy_in) as copy:
        for row in rows:
            copy.write_row(row)


def _update(connection: sa.Connection, values: list[dict[str, Any]]) -> None:
    """Update makers by id ("_id") with the same keys each: on PostgreSQL through a temporary table filled by COPY
    and one UPDATE, else an executemany per chunk."""
    if not values:
        return
    if connection.dialect.name != "postgresql":
        update = sa.update(_makers).where(_makers.c.id == sa.bindparam("_id"))
        for chunk in _chunks(values):
            connection.execute(update, list(chunk))
        return
    columns = [key for key in values[0] if key != "_id"]
    quote = connection.dialect.identifier_preparer.quote
    listed = ", ".join(quote(c) for c in columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE maker_import_rows ON COMMIT DROP AS SELECT id, {listed} FROM maker WITH NO DATA"
    )
    _copy(
        connection, "maker_import_rows", ["id", *columns], ([row["_id"], *(row[c] for c in columns)] for row in values)
    )
    assignments = ", ".join(f"{quote(c)} = new.{quote(c)}" for c in columns)
    connection.exec_driver_sql(f"UPDATE maker SET {assignments} FROM maker_import_rows AS new WHERE maker.id = new.id")
    connection.exec_driver_sql("DROP TABLE maker_import_rows")


def _insert_new(connection: sa.Connection, rows: Sequence[MakerRow]) -> dict[str, int]:
    """Insert new makers in batches, then read their ids back by phone (RETURNING would insert one row at a time
    on SQLite to keep the ids in order)."""
    ids: dict[str, int] = {}
    if not rows:
        return ids
    now = utcnow()
    values = [{"phone": row.phone, **_fields(row), "created_at": now, "updated_at": now} for row in rows]
    _insert(connection, _makers, values)
    wanted = {row.phone for row in rows}
    few = {"chunk": list(wanted)} if len(wanted) <= CHUNK else None
    by_phone = sa.select(_makers.c.phone, _makers.c.id)
    for phone, maker_id in connection.execute(by_phone.where(_makers.c.phone.in_(_CHUNK)) if few else by_phone, few):
        if phone in wanted:
            ids[phone] = maker_id
    return ids


def _replace_phrases(
    connection: sa.Connection,
    phrases: dict[int, tuple[str, ...]],
    traits: dict[tuple[int, str], tuple[str, ...]],
    concepts: _Concepts,
    fresh: set[int],
) -> None:
    """Delete the phrases and traits being replaced (none for makers just inserted), then insert the new ones."""
    stale = sorted(set(phrases) - fresh)
    for chunk in _chunks(stale):
        connection.execute(sa.delete(_capabilities).where(_capabilities.c.maker_id.in_(_CHUNK)), {"chunk": chunk})
    by_kind: dict[str, list[int]] = {}
    for maker_id, kind in traits:
        if maker_id not in fresh:
            by_kind.setdefault(kind, []).append(maker_id)
    for kind, ids in by_kind.items():
        for chunk in _chunks(sorted(ids)):
            connection.execute(
                sa.delete(_traits).where(_traits.c.kind == kind, _traits.c.maker_id.in_(_CHUNK)), {"chunk": chunk}
            )
    capability_rows = [
        {"maker_id": maker_id, "position": position, "phrase": phrase, "concepts": concepts.of("capability", phrase)}
        for maker_id, said in phrases.items()
        for position, phrase in enumerate(said)
    ]
    trait_rows = [
        {
            "maker_id": maker_id,
            "kind": kind,
            "position": position,
            "phrase": phrase,
            "concepts": concepts.of(kind, phrase),
        }
        for (maker_id, kind), said in traits.items()
        for position, phrase in enumerate(said)
    ]
    _insert(connection, _capabilities, capability_rows)
    _insert(connection, _traits, trait_rows)


def save_rows(session: Session, rows: Sequence[MakerRow], taxonomy: Taxonomy) -> Counter[str]:
    """Create or update makers by phone on the session's transaction; how many rows came out created, updated,
    unchanged."""
    session.flush()  # what the caller changed through objects is written first
    connection = session.connection()  # Core statements on the connection: the session's events stay out of it
    plan = _plan(rows, _read_known(connection, rows))
    ids = _insert_new(connection, plan.new)
    for row in plan.new:
        plan.phrases[ids[row.phone]] = row.capabilities
        for kind, phrases in row.traits.items():
            plan.traits[(ids[row.phone], kind)] = phrases
    _update(connection, plan.updates)
    concepts = _Concepts(taxonomy)
    concepts.read_ahead(
        [*(("capability", p) for said in plan.phrases.values() for p in said)]
        + [(kind, p) for (_, kind), said in plan.traits.items() for p in said]
    )
    _replace_phrases(connection, plan.phrases, plan.traits, concepts, set(ids.values()))
    maker_changes.note(session, [*ids.values(), *(u["_id"] for u in plan.updates)])
    for held in list(session.identity_map.values()):  # what the caller holds of makers is read again when used
        if isinstance(held, Maker | MakerCapability | MakerTrait):
            session.expire(held)
    return plan.outcomes
