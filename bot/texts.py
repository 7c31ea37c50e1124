"""Every sentence a person reads from makerlink, in one place, ready for translation.

Templates use str.format fields; callers pass values, never build prose themselves.
"""

# ── maker import: why a row was skipped ──
ROW_NO_NAME = "no name"
ROW_NAME_TOO_LONG = "the name is longer than {limit} characters"
ROW_NAME_SPANS_LINES = "the name runs over several lines (is a quote missing its closing quote?)"
ROW_NO_PHONE = "no phone number"
ROW_BAD_PHONE = "“{value}” is not a valid phone number"
ROW_DUPLICATE_PHONE = "the same phone number as line {line}"
ROW_NO_ZIP = "no ZIP code"
ROW_BAD_ZIP = "“{value}” is not a known US ZIP code"
ROW_NO_CAPABILITIES = "no capabilities (list what the maker makes or does, separated by “;”)"
ROW_CAPABILITY_TOO_LONG = "the capability “{value}…” is longer than {limit} characters"
ROW_TOO_MANY_CAPABILITIES = "more than {limit} capabilities"
ROW_BAD_NUMBER = "{column} “{value}” is not a whole number from 0 to {limit:,}"
ROW_MIN_OVER_MAX = "min_order {low:,} is larger than max_order {high:,}"
ROW_BAD_LANGUAGE = "language “{value}” is not a language code such as en, es or ar"
ROW_BAD_WEBSITE = "website “{value}” is not a web address"
ROW_NOTES_TOO_LONG = "the notes are longer than {limit} characters"
ROW_EXTRA_VALUES = "{count} values, but the header names only {columns} columns"
ROW_UNCLOSED_QUOTE = "a quote opened on this line is never closed; the line was skipped"
ROW_UNREADABLE = "could not be read as CSV ({problem}); the line was skipped"
ROW_BINARY = "contains binary data (a NUL character)"

# ── maker import: why the whole file was refused ──
FILE_NOT_FOUND = "{path} does not exist."
FILE_TOO_BIG = "{path} is larger than {limit_mb} MB; split it into smaller files."
FILE_EMPTY = "{path} is empty."
FILE_BINARY = "{path} is not a CSV file (it contains binary data)."
FILE_NOT_UTF8 = "{path} is not UTF-8 text; save it as “CSV UTF-8” and try again."
FILE_NO_HEADER = (
    "{path} is not a maker CSV: its first line must be a header naming name, phone, zip and capabilities "
    "(missing: {missing})."
)
FILE_UNREADABLE = "{path} could not be read as CSV at line {line}: {problem}."

# ── CLI ──
IMPORT_DONE = "Imported from {path}: {created} new, {updated} updated, {unchanged} unchanged."
IMPORT_SKIPPED = "Skipped {count} rows:"
IMPORT_SKIPPED_ROW = "  line {line}: {reason}"
IMPORT_IGNORED_COLUMNS = "Ignored columns: {columns}."
IMPORT_NEEDS_SOURCE = "Give a CSV file to import, or --demo for the demo directory."
MAKERS_EMPTY = "No makers yet. Import some with `makerlink makers import FILE.csv` (or `--demo`)."
MAKERS_HEADER = "{count} makers"
MATCH_EMPTY_DIRECTORY = (
    "The directory is empty, so nobody can match. Import makers with `makerlink makers import FILE.csv` "
    "or try the demo directory with `makerlink makers import --demo`."
)
MATCH_UNDERSTOOD = "Understood: {summary}"
MATCH_NONE = "No maker fits this request{where}."
MATCH_NONE_WHERE = " within {radius:g} miles of {zip}"
MATCH_LINE = "{rank}. {name} — score {score:.0f} — {why}"
MATCH_NO_ITEM = "I could not tell what is needed. A good request: “need 500 face shields by Friday near 48201”."
MATCH_UNKNOWN_ZIP = "“{zip}” is not a known US ZIP code, so distance was not used."
DB_AT_REVISION = "Database {url} is at revision {revision} (latest)."
CONFIG_ERROR = "Configuration error: {problem}"
DATABASE_ERROR = "Database error: {problem}"

# ── what a request was understood as (shared by the CLI today and the chat later) ──
SUMMARY_QUANTITY = "{quantity:,} {unit}"
SUMMARY_ITEM_UNKNOWN = "item not understood"
SUMMARY_BY = "by {date}"
SUMMARY_ASAP = "as soon as possible"
SUMMARY_NO_RUSH = "no rush"
SUMMARY_NEAR = "near {zip}"
SUMMARY_WITHIN = "within {radius:g} miles"

# ── serve, until the chat sandbox exists ──
DEMO_BANNER = (
    "makerlink {version} — local demo (no Telegram or Twilio settings found; nothing leaves this machine).\n"
    "The browser sandbox with chat and SMS threads comes with a later release; for now this shows the matcher\n"
    "at work on {count} demo makers in {url}."
)
DEMO_DIRECTORY_NAME = "the demo directory"
DEMO_LOADED = "Loaded the demo directory ({count} Detroit-area and US makers, fictional 555 phone numbers)."
DEMO_EXAMPLE = "Example request: “{text}”"
DEMO_PROMPT = "Type a request (an empty line or Ctrl-D quits): "
DEMO_BYE = "Bye."
CHANNELS_NOT_YET = (
    "Telegram and SMS channels are not in this release yet; unset the MAKERLINK_TELEGRAM_* and "
    "MAKERLINK_TWILIO_* settings to run the local demo."
)
SCHEMA_OUT_OF_DATE = "The database at {url} is not up to date; run `makerlink db upgrade` first."


def request_summary(
    item: str | None,
    quantity: int | None,
    unit: str | None,
    deadline_text: str | None,
    urgency: str | None,
    zip_code: str | None,
    radius: float | None,
) -> str:
    """“500 face shields · by Fri 04 Dec · near 48201 · within 50 miles”."""
    what = item or SUMMARY_ITEM_UNKNOWN
    if quantity:
        what = SUMMARY_QUANTITY.format(quantity=quantity, unit=f"{unit} of {what}" if unit else what)
    parts = [what]
    if deadline_text:
        parts.append(SUMMARY_BY.format(date=deadline_text))
    if urgency == "asap":
        parts.append(SUMMARY_ASAP)
    elif urgency == "no_rush":
        parts.append(SUMMARY_NO_RUSH)
    if zip_code:
        parts.append(SUMMARY_NEAR.format(zip=zip_code))
        if radius:
            parts.append(SUMMARY_WITHIN.format(radius=radius))
    return " · ".join(parts)
