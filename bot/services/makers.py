"""The maker directory: saving imported makers, listing them, and handing them to the matcher (the CSV itself is
read by maker_csv.py)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot import maker_changes
from bot.db import Database
from bot.models import Maker, MakerCapability, MakerStatus, MakerTrait, as_utc, utcnow
from bot.services import directory_snapshot as snapshot

# Importing is reading the CSV, then saving it: callers find both here.
from bot.services.maker_csv import MAX_CAPABILITIES as MAX_CAPABILITIES
from bot.services.maker_csv import MAX_CAPABILITY as MAX_CAPABILITY
from bot.services.maker_csv import MAX_FILE_BYTES as MAX_FILE_BYTES
from bot.services.maker_csv import MAX_NAME as MAX_NAME
from bot.services.maker_csv import ImportFileError as ImportFileError
from bot.services.maker_csv import MakerRow, RowProblem
from bot.services.maker_csv import read_makers_csv as read_makers_csv
from bot.services.maker_import import capability_concepts as capability_concepts
from bot.services.maker_import import save_rows
from bot.services.maker_import import trait_concepts as trait_concepts
from matching.directory import Directory, MakerProfile, _collector_paused
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
    outcomes = save_rows(session, rows, taxonomy)
    report.created, report.updated, report.unchanged = outcomes["created"], outcomes["updated"], outcomes["unchanged"]
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


# The rows read and the profiles made of them all live on: a collection in between would walk them and what else
# is alive (the directory being replaced, half a second at 100,000 phrases) and free nothing.
@_collector_paused()
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
    # Through the session's connection: the ORM's handling of each row would cost more than reading it, and these
    # rows are plain columns. What session.execute would flush first is flushed, so they are the same rows.
    if session.autoflush:
        session.flush()
    connection = session.connection()
    rows = connection.execute(makers).all()
    # The driver's own rows for the phrases, most of what is read: integers and text, which no dialect converts.
    # They come in one run per maker.
    with connection.execute(capabilities) as result:
        runs = groupby(result.cursor.fetchall(), key=itemgetter(0))
        phrases = {maker_id: [phrase for _, phrase in run] for maker_id, run in runs}
    traits: dict[tuple[int, str], list[str]] = {}
    for maker_id, kind, phrase in connection.execute(traits_query).all():
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

    Building costs seconds for 100,000 makers; a request must not pay that, nor every web process each time a maker
    answers, pauses or joins. So each `get` reads the change counter (bot/maker_changes.py) — one small query when
    nothing changed — and when it moved, reads again only the makers changed since and replaces them in the
    directory, in time proportional to them. Every process sees a change on its next request, whatever the clocks
    say. Pauses that run out are followed too: the cache knows when the next one ends. A full build happens at the
    start, when a change could not be attributed to makers, when more makers changed at once than following them is
    worth (an import), when the database was wiped (its counter starts again under a new token), and when a fifth
    of the index belongs to removed makers, to give the memory back. Given a folder for snapshots, a large directory
    is saved there after a full build, and a new process starts from that file and the changes made since instead
    of building (directory_snapshot.py).
    """

    REBUILD_SHARE = 0.2
    FOLLOW_AT_LEAST = 1000  # makers changed at once that are always followed, however small the directory

    def __init__(
        self,
        db: Database,
        taxonomy: Taxonomy | None = None,
        max_age_seconds: float = 300.0,
        snapshots: Path | None = None,
        recheck_seconds: float = 0.0,
    ) -> None:
        self.db = db
        self.snapshot = snapshot.path_for(snapshots, db.url) if snapshots else None
        # 0: every `get` reads the change counter. A batch of requests (`makerlink match -`) may instead look again
        # only this long after the last look: a change made meanwhile is seen that much later.
        self.recheck_seconds = recheck_seconds
        self._looked_at = -math.inf  # time.monotonic() of the last look at the counter
        self.taxonomy = taxonomy or load_taxonomy()
        self.max_age_seconds = max_age_seconds  # kept for callers; changes are followed on every get
        self._directory: Directory | None = None
        self._lock = threading.Lock()
        self._seq, self._token = 0, ""  # the change counter the directory reflects, and whose
        self._checked_at: datetime | None = None  # pauses ending after this are still to be followed
        self._wake_at: datetime | None = None  # when the next pause runs out
        self.rebuilds = 0
        self.followed = 0
        self.loaded = False  # True when the directory came from a snapshot

    def get(self, now: datetime | None = None) -> Directory:
        now = now or utcnow()
        with self._lock:
            if self._directory is not None and time.monotonic() - self._looked_at < self.recheck_seconds:
                return self._directory
            self._looked_at = time.monotonic()
            with self.db.read() as session:
                seq, token = maker_changes.current(session)
                if self._directory is None:
                    if not self._load(session, now, seq, token):
                        self._build(session, now, seq, token)
                elif token != self._token or self._directory.removed_share > self.REBUILD_SHARE:
                    self._build(session, now, seq, token)
                elif seq != self._seq or (self._wake_at is not None and self._wake_at <= now):
                    if not self._follow(session, now, seq):
                        self._build(session, now, seq, token)
            assert self._directory is not None
            return self._directory

    def _build(self, session: Session, now: datetime, seq: int, token: str) -> None:
        profiles, _ = _profiles(session, now)
        self._directory = Directory(profiles, self.taxonomy)
        self._seq, self._token, self._checked_at, self._wake_at = seq, token, now, _next_pause_end(session, now)
        self.rebuilds += 1
        self._save(now)

    def _save(self, now: datetime) -> None:
        if self.snapshot and self._directory and len(self._directory.capabilities) >= snapshot.SAVE_AT_LEAST:
            header = snapshot.Header(snapshot.FORMAT, snapshot.fingerprint(), self._token, self._seq, now)
            snapshot.save(self.snapshot, self._directory, header)

    def _load(self, session: Session, now: datetime, seq: int, token: str) -> bool:
        """Start from the saved directory and the changes since it was saved; False when there is none that fits."""
        if self.snapshot is None:
            return False
        saved = snapshot.load(self.snapshot, self.taxonomy, token, seq)
        if saved is None or saved[0].checked_at > now:
            return False
        header, self._directory = saved
        self._token = token
        # The pauses that ran out since it was saved are looked up once, with the changes.
        self._seq, self._checked_at, self._wake_at = header.seq, header.checked_at, header.checked_at
        self.loaded = self._follow(session, now, seq)
        if self.loaded and self.followed >= self.FOLLOW_AT_LEAST:  # spare the next process following them again
            self._save(now)
        return self.loaded

    def _follow(self, session: Session, now: datetime, seq: int) -> bool:
        """Apply what changed since the last look; False when only a full build will do."""
        assert self._directory is not None
        changed = maker_changes.changed_since(session, self._seq) if seq != self._seq else set()
        if maker_changes.WHOLE_DIRECTORY in changed:
            return False
        if len(changed) > max(self.FOLLOW_AT_LEAST, self.REBUILD_SHARE * len(self._directory)):
            return False
        if self._wake_at is not None and self._wake_at <= now:  # "paused for 2 weeks": back once that is over
            ended = sa.select(col(Maker.id)).where(
                col(Maker.status) == MakerStatus.PAUSED,
                col(Maker.paused_until) > (self._checked_at or now),
                col(Maker.paused_until) <= now,
            )
            changed |= set(session.execute(ended).scalars())
        if changed:
            profiles, unavailable = _profiles(session, now, sorted(changed))
            self._directory.update(profiles, unavailable)
            self.followed += len(changed)
        self._seq, self._checked_at, self._wake_at = seq, now, _next_pause_end(session, now)
        return True


def _next_pause_end(session: Session, now: datetime) -> datetime | None:
    ends = sa.select(func.min(col(Maker.paused_until))).where(
        col(Maker.status) == MakerStatus.PAUSED, col(Maker.paused_until) > now
    )
    return as_utc(session.execute(ends).scalar())
