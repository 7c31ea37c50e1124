"""The maker directory: importing it from CSV, listing it, and handing it to the matcher."""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, func, select

from bot import texts
from bot.db import Database
from bot.models import Maker, MakerCapability, MakerStatus, as_utc, utcnow
from bot.phones import to_e164
from matching import geo
from matching.directory import Directory, MakerProfile
from matching.taxonomy import Taxonomy, load_taxonomy

REQUIRED_COLUMNS = ("name", "phone", "zip", "capabilities")
OPTIONAL_COLUMNS = ("min_order", "max_order", "lead_time_days", "website", "notes", "language")
MAX_NAME = 200
MAX_CAPABILITY = 200
MAX_CAPABILITIES = 50
MAX_NOTES = 2000
MAX_WEBSITE = 500
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NUMBER = 1_000_000_000  # fits the database's integer columns with room to spare
MAX_RECORD_LINES = 30  # a record spanning more lines than this is an unclosed quote, not a long note
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
_WEBSITE = re.compile(r"^(?:https?://)?[^\s/$.?#][^\s]*\.[^\s]{2,}$", re.IGNORECASE)
_WHOLE = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why in one sentence."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass(frozen=True)
class MakerRow:
    """One valid CSV row, normalised."""

    line: int
    name: str
    phone: str
    place: geo.Place
    capabilities: tuple[str, ...]
    optional: dict[str, object]  # only the optional columns the file has


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

    def as_dict(self) -> dict:
        return {
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"line": p.line, "reason": p.reason} for p in self.skipped],
            "ignored_columns": self.ignored_columns,
        }


# ── reading ──


def _decode(data: bytes, path: str) -> str:
    if not data.strip():
        raise ImportFileError(texts.FILE_EMPTY.format(path=path))
    if b"\x00" in data[:65536]:
        raise ImportFileError(texts.FILE_BINARY.format(path=path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(texts.FILE_NOT_UTF8.format(path=path)) from None


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _whole_number(row: dict, column: str, problems: list[str]) -> int | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        return None
    if not _WHOLE.match(raw) or len(raw) > 13 or int(raw.replace(",", "")) > MAX_NUMBER:
        problems.append(texts.ROW_BAD_NUMBER.format(column=column, value=raw[:40], limit=MAX_NUMBER))
        return None
    return int(raw.replace(",", ""))


def _split_capabilities(raw: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in raw.split(";"):
        phrase = re.sub(r"\s+", " ", part).strip(" \t,")
        if phrase and phrase.casefold() not in seen:
            seen[phrase.casefold()] = phrase
    return list(seen.values())


def _validate(row: dict, line: int, columns: Sequence[str]) -> tuple[MakerRow | None, list[str]]:
    problems: list[str] = []
    raw_name = (row.get("name") or "").strip()
    name = re.sub(r"\s+", " ", raw_name)
    if not name:
        problems.append(texts.ROW_NO_NAME)
    elif "\n" in raw_name or "\r" in raw_name:
        problems.append(texts.ROW_NAME_SPANS_LINES)
    elif len(name) > MAX_NAME:
        problems.append(texts.ROW_NAME_TOO_LONG.format(limit=MAX_NAME))

    raw_phone = (row.get("phone") or "").strip()
    phone = to_e164(raw_phone) if raw_phone else None
    if not raw_phone:
        problems.append(texts.ROW_NO_PHONE)
    elif phone is None:
        problems.append(texts.ROW_BAD_PHONE.format(value=raw_phone[:40]))

    raw_zip = (row.get("zip") or "").strip()
    # Spreadsheets drop the leading zero of New England ZIPs (02134 → 2134).
    padded = raw_zip.zfill(5) if raw_zip.isdigit() and 3 <= len(raw_zip) <= 4 else raw_zip
    place = geo.lookup_zip(padded) if padded else None
    if not raw_zip:
        problems.append(texts.ROW_NO_ZIP)
    elif place is None:
        problems.append(texts.ROW_BAD_ZIP.format(value=raw_zip[:20]))

    capabilities = _split_capabilities(row.get("capabilities") or "")
    if not capabilities:
        problems.append(texts.ROW_NO_CAPABILITIES)
    elif len(capabilities) > MAX_CAPABILITIES:
        problems.append(texts.ROW_TOO_MANY_CAPABILITIES.format(limit=MAX_CAPABILITIES))
    for phrase in capabilities:
        if len(phrase) > MAX_CAPABILITY:
            problems.append(texts.ROW_CAPABILITY_TOO_LONG.format(value=phrase[:30], limit=MAX_CAPABILITY))
            break

    optional: dict[str, object] = {}
    for column in ("min_order", "max_order", "lead_time_days"):
        if column in columns:
            optional[column] = _whole_number(row, column, problems)
    low, high = optional.get("min_order"), optional.get("max_order")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(texts.ROW_MIN_OVER_MAX.format(low=low, high=high))
    if "website" in columns:
        website = (row.get("website") or "").strip()
        if website and (len(website) > MAX_WEBSITE or not _WEBSITE.match(website)):
            problems.append(texts.ROW_BAD_WEBSITE.format(value=website[:60]))
        optional["website"] = website or None
    if "notes" in columns:
        notes = (row.get("notes") or "").strip()
        if len(notes) > MAX_NOTES:
            problems.append(texts.ROW_NOTES_TOO_LONG.format(limit=MAX_NOTES))
        optional["notes"] = notes or None
    if "language" in columns:
        language = (row.get("language") or "").strip().lower().replace("_", "-")
        if language and not _LANGUAGE.match(language):
            problems.append(texts.ROW_BAD_LANGUAGE.format(value=language[:20]))
        optional["language"] = language or "en"

    if problems:
        return None, problems
    assert phone is not None and place is not None
    return MakerRow(line, name, phone, place, tuple(capabilities), optional), []


class _RunawayRecord(Exception):
    """A record has run on for more lines than any real row: an opening quote was never closed."""


def _records(text: str, delimiter: str, first_line: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """CSV records from `first_line` on, as (line, values, None) or (line, None, problem).

    A broken record (an unclosed quote, an unreadable line) is reported and reading starts again on the
    next line, so one bad row never hides the rows after it. A record may span MAX_RECORD_LINES lines
    at most, which also bounds the work an unclosed quote can cause.
    """
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]  # where each line begins
    line = first_line
    while line <= len(starts):
        fed = {"lines": 0, "boundary": 0}

        def feed(offset: int = starts[line - 1], fed: dict = fed) -> Iterator[str]:
            for raw in io.StringIO(text[offset:], newline=""):
                fed["lines"] += 1
                if fed["lines"] - fed["boundary"] > MAX_RECORD_LINES:
                    raise _RunawayRecord
                yield raw

        reader = csv.reader(feed(), delimiter=delimiter)
        restart = None
        while True:
            start = line + fed["boundary"]
            try:
                values = next(reader)
            except StopIteration:
                return
            except _RunawayRecord:
                yield start, None, texts.ROW_UNCLOSED_QUOTE
                restart = start + 1
                break
            except csv.Error as error:
                yield start, None, texts.ROW_UNREADABLE.format(problem=error)
                restart = start + 1
                break
            fed["boundary"] = reader.line_num
            yield start, values, None
        line = restart


def read_makers_csv(data: bytes, path: str = "the file") -> tuple[list[MakerRow], list[RowProblem], list[str]]:
    """Valid rows, problems by line, and the columns that were ignored. Raises ImportFileError."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(texts.FILE_TOO_BIG.format(path=path, limit_mb=MAX_FILE_BYTES // (1024 * 1024)))
    text = _decode(data, path)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    csv.field_size_limit(MAX_FILE_BYTES)  # one oversized note must not end the import; the file size is capped
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as error:
        raise ImportFileError(texts.FILE_UNREADABLE.format(path=path, line=1, problem=error)) from None
    columns = [_column(c) for c in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(texts.FILE_NO_HEADER.format(path=path, missing=", ".join(missing)))
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    ignored = [header[i].strip() for i, c in enumerate(columns) if c not in known and header[i].strip()]

    rows: list[MakerRow] = []
    problems: list[RowProblem] = []
    first_line_of_phone: dict[str, int] = {}
    for start, values, problem in _records(text, delimiter, first_line=2):
        if values is None:
            problems.append(RowProblem(start, problem or ""))
            continue
        if not any(v.strip() for v in values):
            continue
        if any("\x00" in v for v in values):
            problems.append(RowProblem(start, texts.ROW_BINARY))
            continue
        if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
            problems.append(RowProblem(start, texts.ROW_EXTRA_VALUES.format(count=len(values), columns=len(columns))))
            continue
        record: dict[str, str] = {}
        for i, column in enumerate(columns):
            if not record.get(column):
                record[column] = values[i] if i < len(values) else ""
        maker, reasons = _validate(record, start, columns)
        if maker is None:
            problems.extend(RowProblem(start, reason) for reason in reasons)
            continue
        if maker.phone in first_line_of_phone:
            problems.append(RowProblem(start, texts.ROW_DUPLICATE_PHONE.format(line=first_line_of_phone[maker.phone])))
            continue
        first_line_of_phone[maker.phone] = start
        rows.append(maker)
    return rows, problems, ignored


# ── writing ──


def capability_concepts(taxonomy: Taxonomy, phrase: str) -> str:
    """The taxonomy ids a capability phrase names, space-separated as stored."""
    return " ".join(tag.id for tag in taxonomy.tag(phrase))


def _apply(session: Session, row: MakerRow, taxonomy: Taxonomy) -> str:
    """Create or update one maker from a row; returns "created", "updated" or "unchanged"."""
    maker = session.exec(select(Maker).where(Maker.phone == row.phone)).first()
    fields = {
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
    else:
        current = list(
            session.exec(
                select(MakerCapability).where(MakerCapability.maker_id == maker.id).order_by(MakerCapability.position)
            )
        )
        changed = any(getattr(maker, key) != value for key, value in fields.items())
        changed = changed or [c.phrase for c in current] != list(row.capabilities)
        if not changed:
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
                    maker_id=maker.id, position=position, phrase=phrase, concepts=capability_concepts(taxonomy, phrase)
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
    report = ImportReport(skipped=problems, ignored_columns=ignored)
    with db.transaction() as session:
        for row in rows:
            outcome = _apply(session, row, taxonomy)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


# ── reading the directory back ──


@dataclass(frozen=True)
class MakerView:
    maker: Maker
    capabilities: tuple[MakerCapability, ...]

    def as_dict(self) -> dict:
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
        }


def list_makers(db: Database, status: str | None = None) -> list[MakerView]:
    with db.read() as session:
        query = select(Maker).order_by(Maker.name, Maker.id)
        if status:
            query = query.where(Maker.status == status)
        makers = list(session.exec(query))
        by_maker: dict[int, list[MakerCapability]] = {}
        for cap in session.exec(select(MakerCapability).order_by(MakerCapability.maker_id, MakerCapability.position)):
            by_maker.setdefault(cap.maker_id, []).append(cap)
    return [MakerView(m, tuple(by_maker.get(m.id or 0, ()))) for m in makers]


def count_makers(db: Database) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(Maker)).one()


def responsiveness(maker: Maker) -> float | None:
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


def is_available(maker: Maker, now: datetime | None = None) -> bool:
    """Active, or paused for a while that is over."""
    if maker.status == MakerStatus.ACTIVE:
        return True
    until = as_utc(maker.paused_until)
    return maker.status == MakerStatus.PAUSED and until is not None and until <= (now or utcnow())


def active_directory(db: Database, taxonomy: Taxonomy | None = None, now: datetime | None = None) -> Directory:
    """The makers who can be asked right now, ready for matching."""
    profiles = [
        MakerProfile(
            id=view.maker.id or 0,
            name=view.maker.name,
            capabilities=tuple(c.phrase for c in view.capabilities),
            lat=view.maker.lat,
            lon=view.maker.lon,
            zip=view.maker.zip,
            min_order=view.maker.min_order,
            max_order=view.maker.max_order,
            lead_time_days=view.maker.lead_time_days,
            responsiveness=responsiveness(view.maker),
        )
        for view in list_makers(db)
        if is_available(view.maker, now)
    ]
    return Directory(profiles, taxonomy)


class DirectoryCache:
    """The active directory, rebuilt only when a maker changed (or every few minutes, for pauses that end).

    Building a directory costs about 3 s per 100,000 capability phrases; a request must not pay that each time.
    """

    def __init__(self, db: Database, taxonomy: Taxonomy | None = None, max_age_seconds: float = 300.0) -> None:
        self.db = db
        self.taxonomy = taxonomy or load_taxonomy()
        self.max_age_seconds = max_age_seconds
        self._directory: Directory | None = None
        self._fingerprint: tuple | None = None
        self._built_at: datetime | None = None
        self._lock = threading.Lock()

    def _current_fingerprint(self) -> tuple:
        with self.db.read() as session:
            count, latest = session.exec(select(func.count(), func.max(Maker.updated_at)).select_from(Maker)).one()
            caps = session.exec(select(func.count(), func.max(MakerCapability.id)).select_from(MakerCapability)).one()
        return count, str(latest), tuple(caps)

    def get(self, now: datetime | None = None) -> Directory:
        now = now or utcnow()
        with self._lock:
            fingerprint = self._current_fingerprint()
            stale = self._built_at is None or (now - self._built_at).total_seconds() > self.max_age_seconds
            if self._directory is None or fingerprint != self._fingerprint or stale:
                self._directory = active_directory(self.db, self.taxonomy, now)
                self._fingerprint, self._built_at = fingerprint, now
            return self._directory
