"""The maker directory: saving imported makers, listing them, and handing them to the matcher (the CSV itself is
read by maker_csv.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.db import Database, saved_id
from bot.models import Maker, MakerCapability, MakerStatus, MakerTrait, as_utc, utcnow

# Importing is reading the CSV, then saving it: callers find both here.
from bot.services.maker_csv import MAX_CAPABILITIES as MAX_CAPABILITIES
from bot.services.maker_csv import MAX_CAPABILITY as MAX_CAPABILITY
from bot.services.maker_csv import MAX_FILE_BYTES as MAX_FILE_BYTES
from bot.services.maker_csv import MAX_NAME as MAX_NAME
from bot.services.maker_csv import ImportFileError as ImportFileError
from bot.services.maker_csv import MakerRow, RowProblem
from bot.services.maker_csv import read_makers_csv as read_makers_csv
from matching.directory import Directory, MakerProfile
from matching.practices import practices_in
from matching.preferences import slug
from matching.taxonomy import Taxonomy, load_taxonomy


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"line": p.line, "reason": p.reason} for p in self.skipped],
            "ignored_columns": self.ignored_columns,
        }


# ── writing ──


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


def _replace_traits(session: Session, maker_id: int, traits: dict[str, tuple[str, ...]], taxonomy: Taxonomy) -> bool:
    """Set the maker's traits of each kind given; kinds not given stay as they are. True when anything changed."""
    if not traits:
        return False
    current: dict[str, list[MakerTrait]] = {}
    for trait in session.exec(
        select(MakerTrait).where(MakerTrait.maker_id == maker_id).order_by(col(MakerTrait.position), col(MakerTrait.id))
    ):
        current.setdefault(trait.kind, []).append(trait)
    changed = False
    for kind, phrases in traits.items():
        old = current.get(kind, [])
        if [t.phrase for t in old] == list(phrases):
            continue
        changed = True
        for trait in old:
            session.delete(trait)
        session.flush()
        for position, phrase in enumerate(phrases):
            concepts = trait_concepts(taxonomy, kind, phrase)
            session.add(MakerTrait(maker_id=maker_id, kind=kind, position=position, phrase=phrase, concepts=concepts))
    return changed


def _apply(session: Session, row: MakerRow, taxonomy: Taxonomy) -> str:
    """Create or update one maker from a row; returns "created", "updated" or "unchanged"."""
    maker = session.exec(select(Maker).where(Maker.phone == row.phone)).first()
    fields: dict[str, Any] = {
        "name": row.name,
        "zip": row.place.zip,
        "lat": row.place.lat,
        "lon": row.place.lon,
        "timezone": row.place.timezone,
        **row.optional,
    }
    if maker is None:
        maker = Maker(phone=row.phone, **fields)
        session.add(maker)
        session.flush()
        outcome = "created"
        current: list[MakerCapability] = []
        _replace_traits(session, maker.id or 0, row.traits, taxonomy)
    else:
        current = list(
            session.exec(
                select(MakerCapability)
                .where(MakerCapability.maker_id == maker.id)
                .order_by(col(MakerCapability.position))
            )
        )
        changed = any(getattr(maker, key) != value for key, value in fields.items())
        changed = changed or [c.phrase for c in current] != list(row.capabilities)
        traits_changed = _replace_traits(session, maker.id or 0, row.traits, taxonomy)
        if not changed and not traits_changed:
            return "unchanged"
        for key, value in fields.items():
            setattr(maker, key, value)
        maker.updated_at = utcnow()
        outcome = "updated"
    if [c.phrase for c in current] != list(row.capabilities):
        for old in current:
            session.delete(old)
        session.flush()
        for position, phrase in enumerate(row.capabilities):
            session.add(
                MakerCapability(
                    maker_id=saved_id(maker),
                    position=position,
                    phrase=phrase,
                    concepts=capability_concepts(taxonomy, phrase),
                )
            )
    return outcome


def import_makers(db: Database, data: bytes, path: str = "the file", taxonomy: Taxonomy | None = None) -> ImportReport:
    """Import a maker CSV: good rows are created or updated by phone in one transaction, bad rows reported."""
    return save_makers(db, *read_makers_csv(data, path), taxonomy=taxonomy)


def save_makers(
    db: Database,
    rows: Sequence[MakerRow],
    problems: list[RowProblem],
    ignored: list[str],
    taxonomy: Taxonomy | None = None,
) -> ImportReport:
    """Write what `read_makers_csv` read: good rows created or updated by phone in one transaction."""
    taxonomy = taxonomy or load_taxonomy()
    with db.transaction() as session:
        return save_makers_in(session, rows, problems, ignored, taxonomy)


def save_makers_in(
    session: Session, rows: Sequence[MakerRow], problems: list[RowProblem], ignored: list[str], taxonomy: Taxonomy
) -> ImportReport:
    """`save_makers` in the caller's transaction (the console's upload and edit, with their audit)."""
    report = ImportReport(skipped=problems, ignored_columns=ignored)
    for row in rows:
        outcome = _apply(session, row, taxonomy)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


# ── reading the directory back ──


@dataclass(frozen=True)
class MakerView:
    maker: Maker
    capabilities: tuple[MakerCapability, ...]
    traits: tuple[MakerTrait, ...] = ()

    def traits_of(self, kind: str) -> list[str]:
        return [t.phrase for t in self.traits if t.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        m = self.maker
        return {
            "id": m.id,
            "name": m.name,
            "phone": m.phone,
            "zip": m.zip,
            "status": m.status,
            "capabilities": [c.phrase for c in self.capabilities],
            "concepts": sorted({cid for c in self.capabilities for cid in c.concepts.split()}),
            "min_order": m.min_order,
            "max_order": m.max_order,
            "lead_time_days": m.lead_time_days,
            "website": m.website,
            "language": m.language,
            "alerts_opt_out": m.alerts_opt_out,
            "type": m.kind,
            "badges": self.traits_of("badge"),
            "practices": self.traits_of("practice"),
            "training": self.traits_of("training"),
        }


def list_makers(db: Database, status: str | None = None) -> list[MakerView]:
    with db.read() as session:
        query = select(Maker).order_by(col(Maker.name), col(Maker.id))
        if status:
            query = query.where(Maker.status == status)
        makers = list(session.exec(query))
        by_maker: dict[int, list[MakerCapability]] = {}
        for cap in session.exec(
            select(MakerCapability).order_by(col(MakerCapability.maker_id), col(MakerCapability.position))
        ):
            by_maker.setdefault(cap.maker_id, []).append(cap)
        traits: dict[int, list[MakerTrait]] = {}
        for trait in session.exec(
            select(MakerTrait).order_by(col(MakerTrait.maker_id), col(MakerTrait.position), col(MakerTrait.id))
        ):
            traits.setdefault(trait.maker_id, []).append(trait)
    return [MakerView(m, tuple(by_maker.get(m.id or 0, ())), tuple(traits.get(m.id or 0, ()))) for m in makers]


def count_makers(db: Database) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(Maker)).one()


class MakerRecord(Protocol):
    """What `responsiveness` and `is_available` read: a Maker, or a row of its columns."""

    status: str
    paused_until: datetime | None
    invited_count: int
    replied_count: int
    yes_count: int
    median_reply_seconds: int | None
    delivered_count: int
    on_time_count: int
    rating_sum: int
    rating_count: int


def responsiveness(maker: MakerRecord) -> float | None:
    """0..1 from the maker's record; None until they have been asked. The ranker gives it 5% of a score.

    How often they answer (35%) and how fast (15%: within an hour is full marks, two days or more none), how
    often they say yes (15%), deliver on time (20%) and how buyers rate them (15%). A part with no history
    yet counts as middling (0.5), so one late delivery does not sink a newcomer.
    """
    if not maker.invited_count:
        return None
    replied = min(maker.replied_count / maker.invited_count, 1.0)
    if maker.median_reply_seconds is None:
        speed = 0.5
    else:
        speed = 1.0 - min(max(maker.median_reply_seconds - 3600, 0) / (47 * 3600), 1.0)
    yes = min(maker.yes_count / maker.replied_count, 1.0) if maker.replied_count else 0.5
    on_time = min(maker.on_time_count / maker.delivered_count, 1.0) if maker.delivered_count else 0.5
    rating = (maker.rating_sum / maker.rating_count - 1) / 4 if maker.rating_count else 0.5
    return round(0.35 * replied + 0.15 * speed + 0.15 * yes + 0.2 * on_time + 0.15 * rating, 3)


def is_available(maker: MakerRecord, now: datetime | None = None) -> bool:
    """Active, or paused for a while that is over."""
    if maker.status == MakerStatus.ACTIVE:
        return True
    until = as_utc(maker.paused_until)
    return maker.status == MakerStatus.PAUSED and until is not None and until <= (now or utcnow())


# What the directory needs of a maker: read as plain columns, since building ORM objects for 100,000 makers
# would cost more than tagging their phrases.
_DIRECTORY_COLUMNS = tuple(col(c) for c in (
    Maker.id, Maker.name, Maker.lat, Maker.lon, Maker.zip, Maker.min_order, Maker.max_order, Maker.lead_time_days,
    Maker.status, Maker.paused_until, Maker.invited_count, Maker.replied_count, Maker.yes_count,
    Maker.median_reply_seconds, Maker.delivered_count, Maker.on_time_count, Maker.rating_sum, Maker.rating_count,
    Maker.kind,
))  # fmt: skip


def _profiles(
    session: Session, now: datetime, only: Sequence[int] | None = None
) -> tuple[list[MakerProfile], set[int]]:
    """Profiles of the makers who can be asked at `now` (all of them, or those with the ids in `only`), and the
    ids of the others among `only`, who cannot (paused, stopped or gone)."""
    makers = sa.select(*_DIRECTORY_COLUMNS).order_by(col(Maker.name), col(Maker.id))
    capabilities = sa.select(col(MakerCapability.maker_id), col(MakerCapability.phrase)).order_by(
        col(MakerCapability.maker_id), col(MakerCapability.position), col(MakerCapability.id)
    )
    traits_query = sa.select(col(MakerTrait.maker_id), col(MakerTrait.kind), col(MakerTrait.phrase)).order_by(
        col(MakerTrait.maker_id), col(MakerTrait.position), col(MakerTrait.id)
    )
    if only is not None:
        makers = makers.where(col(Maker.id).in_(only))
        capabilities = capabilities.where(col(MakerCapability.maker_id).in_(only))
        traits_query = traits_query.where(col(MakerTrait.maker_id).in_(only))
    rows = session.execute(makers).all()
    phrases: dict[int, list[str]] = {}
    for maker_id, phrase in session.execute(capabilities):
        phrases.setdefault(maker_id, []).append(phrase)
    traits: dict[tuple[int, str], list[str]] = {}
    for maker_id, kind, phrase in session.execute(traits_query):
        traits.setdefault((maker_id, kind), []).append(phrase)
    profiles = [
        MakerProfile(
            id=row.id,
            name=row.name,
            capabilities=tuple(phrases.get(row.id, ())),
            lat=row.lat,
            lon=row.lon,
            zip=row.zip,
            min_order=row.min_order,
            max_order=row.max_order,
            lead_time_days=row.lead_time_days,
            responsiveness=responsiveness(row),
            kind=row.kind,
            badges=tuple(traits.get((row.id, "badge"), ())),
            practices=tuple(traits.get((row.id, "practice"), ())),
            training=tuple(traits.get((row.id, "training"), ())),
        )
        for row in rows
        if is_available(row, now)
    ]
    unavailable = set(only or ()) - {p.id for p in profiles if isinstance(p.id, int)}
    return profiles, unavailable


def active_directory(db: Database, taxonomy: Taxonomy | None = None, now: datetime | None = None) -> Directory:
    """The makers who can be asked right now, ready for matching."""
    with db.read() as session:
        profiles, _ = _profiles(session, now or utcnow())
    return Directory(profiles, taxonomy)


class DirectoryCache:
    """The active directory, built once and then following the makers that change.

    Building costs about a second per 100,000 capability phrases; a request must not pay that, nor every web process
    each time a maker answers, pauses or joins. So each `get` asks the database what changed since the last one (a
    maker row touched, capability phrases added or removed, a pause that has run out) and updates just those
    makers in the directory, in time proportional to them. Every process sees a change on its next request. A full
    build happens at the start, when phrases were removed (the changed makers cannot be told from the counts), and
    when a fifth of the index belongs to removed makers, to give the memory back.
    """

    OVERLAP = timedelta(seconds=5)  # a transaction may commit a moment after the time it wrote into updated_at
    REBUILD_SHARE = 0.2

    def __init__(self, db: Database, taxonomy: Taxonomy | None = None, max_age_seconds: float = 300.0) -> None:
        self.db = db
        self.taxonomy = taxonomy or load_taxonomy()
        self.max_age_seconds = max_age_seconds  # kept for callers; pauses that end are followed on every get
        self._directory: Directory | None = None
        self._lock = threading.Lock()
        self._since: datetime | None = None  # the newest updated_at seen, less the overlap
        self._checked_at: datetime | None = None  # pauses ending after this are still to be followed
        self._phrases: tuple[int, int] = (0, 0)  # (count, highest id) of the capability phrases seen
        self.rebuilds = 0
        self.followed = 0

    def get(self, now: datetime | None = None) -> Directory:
        now = now or utcnow()
        with self._lock:
            with self.db.read() as session:
                stale = self._directory is None or self._directory.removed_share > self.REBUILD_SHARE
                if stale or not self._follow(session, now):
                    self._build(session, now)
            assert self._directory is not None
            return self._directory

    def _phrase_counts(self, session: Session) -> tuple[int, int]:
        count, highest = session.execute(sa.select(func.count(), func.max(MakerCapability.id))).one()
        return int(count), int(highest or 0)

    def _latest(self, session: Session) -> datetime | None:
        return as_utc(session.execute(sa.select(func.max(Maker.updated_at))).scalar())

    def _build(self, session: Session, now: datetime) -> None:
        phrases, latest = self._phrase_counts(session), self._latest(session)
        profiles, _ = _profiles(session, now)
        self._directory = Directory(profiles, self.taxonomy)
        self._phrases, self._checked_at = phrases, now
        self._since = latest - self.OVERLAP if latest else None
        self.rebuilds += 1

    def _follow(self, session: Session, now: datetime) -> bool:
        """Apply what changed since the last look; False when only a full build can tell."""
        assert self._directory is not None
        changed: set[int] = set()
        touched = sa.select(col(Maker.id), col(Maker.updated_at))
        if self._since is not None:
            touched = touched.where(col(Maker.updated_at) > self._since)
        newest = self._since
        for maker_id, updated_at in session.execute(touched):
            changed.add(maker_id)
            stamp = as_utc(updated_at)
            if stamp is not None and (newest is None or stamp - self.OVERLAP > newest):
                newest = stamp - self.OVERLAP
        count, highest = self._phrase_counts(session)
        seen_count, seen_highest = self._phrases
        if (count, highest) != (seen_count, seen_highest):
            added = sa.select(col(MakerCapability.maker_id)).where(col(MakerCapability.id) > seen_highest)
            owners = list(session.execute(added).scalars())
            removed = seen_count + len(owners) - count
            # An import that rewrites a maker's phrases touches the maker too, and the maker is read again whole;
            # phrases removed beyond what those makers had (a maker's "caps remove" by SMS) cannot be placed.
            if removed > sum(self._directory.phrase_count(maker_id) for maker_id in changed):
                return False
            changed |= set(owners)
        if self._checked_at is not None:  # "paused for 2 weeks": back in the directory once that is over
            ended = sa.select(col(Maker.id)).where(
                col(Maker.status) == MakerStatus.PAUSED,
                col(Maker.paused_until) > self._checked_at,
                col(Maker.paused_until) <= now,
            )
            changed |= set(session.execute(ended).scalars())
        if changed:
            profiles, unavailable = _profiles(session, now, sorted(changed))
            for profile in profiles:
                self._directory.add(profile)
            for maker_id in unavailable:
                self._directory.remove(maker_id)
            self.followed += len(changed)
        self._since, self._phrases, self._checked_at = newest, (count, highest), now
        return True


