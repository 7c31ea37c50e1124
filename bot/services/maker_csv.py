"""Reading a maker CSV: the columns, each row checked and normalised, and one clear reason for each bad row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot import texts
from bot.models import MAKER_TYPES
from bot.phones import to_e164
from matching import geo

REQUIRED_COLUMNS = ("name", "phone", "zip", "capabilities")
OPTIONAL_COLUMNS = (
    "min_order", "max_order", "lead_time_days", "website", "notes", "language", "type", "badges", "practices",
    "training",
)  # fmt: skip
TRAIT_COLUMNS = {"badges": "badge", "practices": "practice", "training": "training"}  # CSV column → MakerTrait.kind
MAX_TRAITS = 20
MAX_NAME = 200
MAX_CAPABILITY = 200
MAX_CAPABILITIES = 50
MAX_NOTES = 2000
MAX_WEBSITE = 500
MAX_FILE_BYTES = 100 * 1024 * 1024  # a national directory of 100,000 makers is about 30 MB
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
    traits: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by MakerTrait.kind, for the columns it has


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


def _whole_number(row: dict[str, str], column: str, problems: list[str]) -> int | None:
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
        phrase = " ".join(part.split()).strip(" \t,")  # runs of white space as one space, as re's \s+ finds them
        if phrase and phrase.casefold() not in seen:
            seen[phrase.casefold()] = phrase
    return list(seen.values())


def _validate(row: dict[str, str], line: int, columns: Sequence[str]) -> tuple[MakerRow | None, list[str]]:
    problems: list[str] = []
    raw_name = (row.get("name") or "").strip()
    name = " ".join(raw_name.split())
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

    if "type" in columns:
        kind = _column(row.get("type") or "") or "business"
        kind = _TYPE_WORDS.get(kind, kind)
        if kind not in MAKER_TYPES:
            problems.append(texts.ROW_BAD_TYPE.format(value=(row.get("type") or "")[:40], types=", ".join(MAKER_TYPES)))
        optional["kind"] = kind
    traits: dict[str, tuple[str, ...]] = {}
    for column, trait in TRAIT_COLUMNS.items():
        if column not in columns:
            continue
        phrases = _split_capabilities(row.get(column) or "")
        if len(phrases) > MAX_TRAITS:
            problems.append(texts.ROW_TOO_MANY_TRAITS.format(limit=MAX_TRAITS, column=column))
        for phrase in phrases:
            if len(phrase) > MAX_CAPABILITY:
                problems.append(texts.ROW_TRAIT_TOO_LONG.format(column=column, value=phrase[:30], limit=MAX_CAPABILITY))
                break
        traits[trait] = tuple(phrases)

    if problems:
        return None, problems
    assert phone is not None and place is not None
    return MakerRow(line, name, phone, place, tuple(capabilities), optional, traits), []


# The words a spreadsheet may use for a type, as stored.
_TYPE_WORDS = {
    "company": "business", "shop": "business", "maker_space": "makerspace", "hackerspace": "makerspace",
    "fab_lab": "makerspace", "fablab": "makerspace", "community_workshop": "makerspace", "college": "school",
    "training_programme": "school", "training_program": "school", "co_op": "cooperative", "coop": "cooperative",
    "person": "individual",
}  # fmt: skip


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

        def feed(offset: int = starts[line - 1], fed: dict[str, int] = fed) -> Iterator[str]:
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
