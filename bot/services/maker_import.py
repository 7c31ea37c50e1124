"""Saving the rows of a maker CSV (read by maker_csv.py) in bulk: a few statements per table, not a few per row.

The makers already there are read by phone a few thousand at a time, with their phrases and traits; each row is
then compared in memory and comes out created, updated or unchanged, exactly as a row-by-row save would decide.
New makers are inserted in batches, changed ones updated by id, and their capabilities and traits replaced only
where they changed, all on the caller's transaction; the makers written are noted for every process's directory
(bot/maker_changes.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
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
    known = _Known()
    names = sorted({key for row in rows for key in _fields(row)})
    columns = [_makers.c.id, _makers.c.phone, *(_makers.c[name] for name in names)]
    for phones in _chunks([row.phone for row in rows]):
        for found in connection.execute(sa.select(*columns).where(_makers.c.phone.in_(phones))).mappings():
            known.makers[found["phone"]] = dict(found)
    ids = sorted(maker["id"] for maker in known.makers.values())
    for chunk in _chunks(ids):
        phrases = sa.select(_capabilities.c.maker_id, _capabilities.c.phrase).where(_capabilities.c.maker_id.in_(chunk))
        order = (_capabilities.c.maker_id, _capabilities.c.position, _capabilities.c.id)
        for maker_id, phrase in connection.execute(phrases.order_by(*order)):
            known.phrases.setdefault(maker_id, []).append(phrase)
        traits = sa.select(_traits.c.maker_id, _traits.c.kind, _traits.c.phrase).where(_traits.c.maker_id.in_(chunk))
        for maker_id, kind, phrase in connection.execute(
            traits.order_by(_traits.c.maker_id, _traits.c.position, _traits.c.id)
        ):
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
    """Concepts of phrases, each phrase read once per import: directories repeat their phrases a lot."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._known: dict[tuple[str, str], str] = {}

    def of(self, kind: str, phrase: str) -> str:
        key = (kind, phrase)
        found = self._known.get(key)
        if found is None:
            if kind == "capability":
                found = capability_concepts(self.taxonomy, phrase)
            else:
                found = trait_concepts(self.taxonomy, kind, phrase)
            self._known[key] = found
        return found


def _insert_new(connection: sa.Connection, rows: Sequence[MakerRow]) -> dict[str, int]:
    """Insert new makers in batches; their ids by phone."""
    ids: dict[str, int] = {}
    if not rows:
        return ids
    now = utcnow()
    values = [{"phone": row.phone, **_fields(row), "created_at": now, "updated_at": now} for row in rows]
    insert = sa.insert(_makers).returning(_makers.c.id, _makers.c.phone, sort_by_parameter_order=True)
    for chunk in _chunks(values):
        ids.update((phone, maker_id) for maker_id, phone in connection.execute(insert, list(chunk)))
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
        connection.execute(sa.delete(_capabilities).where(_capabilities.c.maker_id.in_(chunk)))
    by_kind: dict[str, list[int]] = {}
    for maker_id, kind in traits:
        if maker_id not in fresh:
            by_kind.setdefault(kind, []).append(maker_id)
    for kind, ids in by_kind.items():
        for chunk in _chunks(sorted(ids)):
            connection.execute(sa.delete(_traits).where(_traits.c.kind == kind, _traits.c.maker_id.in_(chunk)))
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
    for table, values in ((_capabilities, capability_rows), (_traits, trait_rows)):
        for chunk in _chunks(values):
            connection.execute(sa.insert(table), list(chunk))


def save_rows(session: Session, rows: Sequence[MakerRow], taxonomy: Taxonomy) -> Counter[str]:
    """Create or update makers by phone on the session's transaction; how many rows came out created, updated,
    unchanged."""
    connection = session.connection()  # Core statements on the connection: the session's events stay out of it
    plan = _plan(rows, _read_known(connection, rows))
    ids = _insert_new(connection, plan.new)
    for row in plan.new:
        plan.phrases[ids[row.phone]] = row.capabilities
        for kind, phrases in row.traits.items():
            plan.traits[(ids[row.phone], kind)] = phrases
    update = sa.update(_makers).where(_makers.c.id == sa.bindparam("_id"))
    for chunk in _chunks(plan.updates):
        connection.execute(update, list(chunk))
    _replace_phrases(connection, plan.phrases, plan.traits, _Concepts(taxonomy), set(ids.values()))
    maker_changes.note(session, [*ids.values(), *(u["_id"] for u in plan.updates)])
    return plan.outcomes
