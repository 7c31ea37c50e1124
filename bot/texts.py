"""Every sentence a person reads from makerlink, in one place, ready for translation.

Templates use str.format fields; callers pass values, never build prose themselves. Buyers and makers may read
other languages: `bot/locales/` holds the gettext catalogues (es.po, ar.po, …) translating the sentences they
read, by name, and falls back to these English sentences (docs/translating.md).
"""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Plural:
    """A sentence whose words follow a count: English has a form for one and one for the rest; a catalogue
    gives each language all of its own forms (Arabic six, by the CLDR plural rules). `format` takes the same
    fields as a plain sentence, the count among them under the name `count`."""

    one: str
    other: str
    count: str = "count"

    def format(self, **fields: Any) -> str:
        return (self.one if fields[self.count] == 1 else self.other).format(**fields)


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
ROW_BAD_TYPE = "type “{value}” is not one of {types}"
ROW_TOO_MANY_TRAITS = "more than {limit} {column}"
ROW_TRAIT_TOO_LONG = "the {column} entry “{value}…” is longer than {limit} characters"
ROW_BAD_WEBSITE = "website “{value}” is not a web address"
ROW_NOTES_TOO_LONG = "the notes are longer than {limit} characters"
ROW_EXTRA_VALUES = "{count} values, but the header names only {columns} columns"
ROW_UNCLOSED_QUOTE = "a quote opened on this line is never closed; the line was skipped"
ROW_UNREADABLE = "could not be read as CSV ({problem}); the line was skipped"
ROW_BINARY = "contains binary data (a NUL character)"

# ── maker import: why the whole file was refused ──
FILE_NOT_FOUND = "{path} does not exist."
FILE_CANNOT_OPEN = "{path} could not be opened: {problem}."
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
MATCH_HIDDEN = "{hidden} more maker(s) could do it but are not {only}: left out, as the request says “only”."
MATCH_NO_ITEM = "I could not tell what is needed. A good request: “need 500 face shields by Friday near 48201”."
MATCH_NOT_UTF8 = "This line is not UTF-8 text; save the file as UTF-8 and try again."
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

# ── serve without accounts: the sandbox ──
DEMO_DIRECTORY_NAME = "the demo directory"
SANDBOX_LOOPBACK_ONLY = (
    "The sandbox has no login, so it listens on this machine only (127.0.0.1), not on {host}. Set "
    "MAKERLINK_TELEGRAM_TOKEN and/or the Twilio settings to run the real bot there."
)
LIVE_ON_SANDBOX_DATABASE = (
    "{url} is the sandbox's database (demo makers with fictional numbers); the real bot will not run on it. "
    "Point MAKERLINK_DATABASE_URL at another file, or delete this one and import your makers."
)
SANDBOX_BANNER = (
    "makerlink {version} — sandbox: no Telegram or Twilio settings found, so nothing leaves this machine.\n"
    "Open {url} in a browser: a buyer's Telegram chat, the phones of {count} demo makers, broadcasts, and a clock\n"
    "to skip ahead. Database: {database} (the page's Reset empties it). Ctrl-C stops."
)
SANDBOX_OPENING = "Opening {url} in your browser (--no-browser to stop that)."
SANDBOX_NOT_SQLITE = (
    "The sandbox runs on a SQLite file of its own: unset MAKERLINK_DATABASE_URL (it then uses makerlink-sandbox.db) "
    "or point it to a sqlite:/// file."
)
SANDBOX_NOT_OURS = (
    "MAKERLINK_DATABASE_URL names a database with makers or messages the sandbox did not create, and the sandbox "
    "would mark its queued messages delivered and empty it on Reset: unset it (the sandbox then uses "
    "makerlink-sandbox.db) or point it to another file."
)
SANDBOX_NOT_JSON = "Send a JSON object with Content-Type: application/json."
SANDBOX_NOT_OBJECT = "The body must be a JSON object."
SANDBOX_TOO_LARGE = "The body is too large."
SANDBOX_NEEDS_TEXT = "“{field}” must be a non-empty string."
SANDBOX_TOO_LONG = "“{field}” may have at most {limit} characters."
SANDBOX_BAD_ID = "“id” must be 1-40 letters, digits, - or _."
SANDBOX_ONE_ACTION = "Send exactly one of “text”, “callback”, “location” or “contact”."
SANDBOX_BAD_LOCATION = "“location” needs a latitude (-90 to 90) and a longitude (-180 to 180)."
SANDBOX_BAD_PHONE = "“phone” must be a phone number, such as +13135550100."
SANDBOX_BAD_HOURS = "“hours” must be a number greater than 0 and at most {limit}."
SANDBOX_BAD_AUDIENCE = "“to” must be makers, buyers or all."
SANDBOX_BAD_RADIUS = "“radius_miles” must be a number from 0.1 to 3000."
SANDBOX_BUSY = "The database is busy; try again in a moment."
PORT_IN_USE = (
    "Port {port} on {host} is already in use (another makerlink serve?). Stop it or choose another with --port."
)
CANNOT_LISTEN = "Cannot listen on port {port} of {host}: {problem}. Choose another with --host or --port."
# Skip ahead: what the follow-ups that came due did, since a skipped one leaves nothing to see on the page.
SANDBOX_SKIPPED_AHEAD = "Skipped ahead {hours} h: {what}."
SANDBOX_NOTHING_DUE = "no follow-up came due"
SANDBOX_CAME_DUE = "{follow_ups} came due — {parts}"
FOLLOW_UPS = Plural("{n} follow-up", "{n} follow-ups", count="n")
SANDBOX_DUE_SENT = "{count} sent"
SANDBOX_DUE_SKIPPED = "{count} skipped because {reason}"
SKIP_REASONS = {  # by bot/services/reminders.py Moot
    "answered": "the maker or buyer had already answered",
    "closed": "the job was already filled or closed",
    "held": "the invitation has not gone out yet (they come due again later)",
    "superseded": "the invitation expired at the same time",
    "no_chat": "the buyer has no chat to be told in",
    "paused": "the maker is paused or stopped",
    "error": "of an error (see the log)",
}
SERVE_BANNER = "makerlink {version} — channels: {channels}; database {url}."
SERVE_TWILIO = "Twilio must post incoming SMS to {public}/twilio/sms and delivery reports to {public}/twilio/status."
WORKER_BANNER = "makerlink {version} worker — sending the outbox and firing reminders; database {url}."
WORKER_STOPPED = "Worker stopped."
# The answer to a request still open when the process stopped (a client that never finished sending it).
HTTP_SHUTTING_DOWN = "Shutting down: please try again in a moment."
WEB_BANNER = (
    "makerlink {version} web — webhooks for: {channels}; database {url}. "
    "Nothing is sent from here: run `makerlink worker` beside it."
)
WEB_NEEDS_CHANNEL = (
    "makerlink web only serves the Twilio and Telegram webhooks, and none is configured: "
    "set them up, or run `makerlink serve` for the local demo."
)
WEB_NEEDS_WEBHOOK = (
    "makerlink web takes Telegram updates by webhook only (polling needs exactly one poller): "
    "set MAKERLINK_PUBLIC_URL and leave MAKERLINK_TELEGRAM_MODE unset or at webhook, or use `makerlink serve`."
)
WEB_ON_SQLITE = (
    "Note: makerlink web is on SQLite, which is fine for one web process and one worker on this machine; "
    "to run several web processes behind a proxy, use PostgreSQL (MAKERLINK_DATABASE_URL)."
)
SERVE_NO_SMS = (
    "Warning: no Twilio settings, so makers cannot be texted; invitations wait in the outbox until SMS is set up."
)
SERVE_TELEGRAM_WEBHOOK = "Telegram: updates arrive by webhook at /telegram/webhook (set at start-up)."
SERVE_TELEGRAM_POLLING = "Telegram: polling for updates (set MAKERLINK_PUBLIC_URL to use a webhook instead)."
MESSAGES_BAD_STATUS = "“{status}” is not a message status; use one of: {statuses}."
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


# ── requests (the CLI today; the Telegram chat wires buyers in) ──
REQUEST_NO_ITEM = MATCH_NO_ITEM
REQUEST_NO_PLACE = "Where is it needed? Add a ZIP code to the request or give --zip."
REQUEST_UNKNOWN_ZIP = "“{zip}” is not a known US ZIP code."
REQUEST_OPENED = "Request {code} opened: {summary}"
REQUEST_INVITED = "Asked {count} makers by SMS (within {radius:g} miles):"
REQUEST_INVITED_LINE = "  {rank}. {name} — {why}"
REQUEST_NONE_INVITED = "No maker fits within {radius:g} miles; the request stays open."
REQUESTS_EMPTY = 'No requests yet. Open one with `makerlink requests invite "500 face shields near 48201"`.'
REQUEST_NOT_FOUND = "No request with code {code}."
MESSAGES_EMPTY = "No messages{where}."

# ── broadcasts and stats ──
BROADCAST_PROBLEM = "Broadcast not possible: {problem}."
BROADCAST_PREVIEW = (
    "Broadcast #{id} would reach {count} people ({channels}).\n"
    "Left out: {excluded}.\nSMS: {sms}; estimated cost ${cost:.2f}.\nFirst recipients: {sample}."
)
# What each language's version of a broadcast SMS costs: the organiser's text plus the footer in that language.
BROADCAST_SMS_VERSION = "{language}: {encoding}, {segments} each, to {count}"
BROADCAST_SMS_BEYOND_GSM7 = ". The text itself needs UCS-2 for {chars}"
BROADCAST_SMS_MAX_CHARS = 8  # characters named in BROADCAST_SMS_BEYOND_GSM7 at most
BROADCAST_SMS_NONE = "none to send"
SEGMENTS = Plural("{n} segment", "{n} segments", count="n")
BROADCAST_BAD_AUDIENCE = "--to must be one of {choices}"
BROADCAST_NO_TEXT = "the broadcast has no text"
BROADCAST_NOBODY = "nobody matches this audience"
BROADCAST_NOBODY_PREVIEW = "Nobody matches this audience, so nothing would be sent (left out: {excluded})."
BROADCAST_NOBODY_NOT_SENT = "Not sent: nobody matches this audience (left out: {excluded})."
BROADCAST_UNKNOWN = "there is no broadcast #{id}"
BROADCAST_CONFIRM = "Send it to {count} people?"
BROADCAST_NOT_SENT = "Not sent."
BROADCAST_QUEUED = "Broadcast #{id} queued for {count} people; `makerlink serve` or `makerlink worker` sends it."
BROADCAST_PROGRESS = "Sending"
BROADCAST_REPORT = "Broadcast #{id}: {messages}. Failures: {failures}."
# The guided /broadcast in the organisers' chat.
ADMIN_BC_ASK_TO = "📣 New broadcast. Who should get it?"
ADMIN_BC_ASK_CAPABILITY = (
    "Only makers who can do something? Send it in a few words (e.g. sewing, 3D printing), or tap Any maker."
)
ADMIN_BC_ASK_ZIP = (
    "Only people near a ZIP? Send the ZIP, with a radius in miles if you like (48201 25), or tap Anywhere."
)
ADMIN_BC_BAD_ZIP = (
    "“{text}” is not a ZIP I know. Send a 5-digit ZIP such as 48201 (and a radius: 48201 25), or tap Anywhere."
)
ADMIN_BC_ASK_TEXT = "Now send the text of the alert, exactly as people should get it."
ADMIN_BC_PREVIEW = (
    "Broadcast #{id} to {who}:\n“{text}”\n\n"
    "Reaches {count} people ({channels}). Left out: {excluded}.\n"
    "SMS: {sms}; estimated cost ${cost:.2f}.\nFirst recipients: {sample}."
)
ADMIN_BC_CHANGED = (
    "The audience changed since the preview. Broadcast #{id} to {who} now reaches {count} people ({channels}). "
    "Left out: {excluded}.\nSMS: {sms}; estimated cost ${cost:.2f}. Send it?"
)
ADMIN_BC_NOBODY = "Broadcast #{id} would reach nobody ({excluded} left out). Nothing was sent; /broadcast to try again."
ADMIN_BC_SENDING = "📣 Broadcast #{id}: queued for {count} people. Progress shows here."
ADMIN_BC_PROGRESS = "📣 Broadcast #{id} to {count} people: {done} of {count} handled — {sent} sent, {failed} not sent."
ADMIN_BC_FINISHED = (
    "📣 Broadcast #{id} done: {sent} of {count} sent ({delivered} confirmed delivered), {failed} not sent{reasons}."
)
ADMIN_BC_CANCELLED = "Broadcast cancelled; nothing was sent."
ADMIN_BC_ALREADY = "Broadcast #{id} has already been sent."
ADMIN_BC_GONE = "That broadcast is no longer a draft."
ADMIN_BC_BUTTON_MAKERS = "Makers"
ADMIN_BC_BUTTON_BUYERS = "Buyers"
ADMIN_BC_BUTTON_ALL = "Everyone"
ADMIN_BC_BUTTON_ANY = "Any maker"
ADMIN_BC_BUTTON_ANYWHERE = "Anywhere"
ADMIN_BC_BUTTON_SEND = "Send to {count}"
ADMIN_BC_BUTTON_CANCEL = "Cancel"
ADMIN_BC_WHO = {"makers": "makers", "buyers": "buyers", "all": "makers and buyers"}
ADMIN_BC_WHO_CAPABILITY = " who can do “{capability}”"
ADMIN_BC_WHO_NEAR = " within {radius:g} miles of {zip}"
# Why messages of a broadcast were not sent, by error code (others show as the code).
FAILURE_NAMES = {
    "recipient_opted_out": "opted out",
    "recipient_blocked": "blocked the bot",
    "alerts_off": "alerts off",
    "loop_guard": "loop guard",
    "timeout": "provider timeout",
    "21610": "opted out at Twilio",
    "21211": "invalid number",
    "21614": "not a mobile number",
    "30003": "phone unreachable",
    "30005": "unknown number",
    "30006": "landline",
    "403": "blocked the bot",
    "400": "refused by Telegram",
}
SMS_BROADCAST_FORWARDED = "Thanks — your reply went to the organisers."
# Under the organisers' own words in every alert SMS (kept in GSM-7, so it adds no UCS-2 cost of its own).
SMS_BROADCAST_FOOTER = "\n- makerlink alert. ALERTS OFF stops these."
ADMIN_BROADCAST_REPLY = "{name} ({phone}) answered alert #{id}: {text}"
STATS_TEXT = (
    "Makers: {active} active, {paused} paused, {stopped} stopped.\n"
    "Requests: {open} open, {matched} matched, {fulfilled} fulfilled, {cancelled} cancelled, {expired} expired.\n"
    "Median time to a first maker answer: {median}. Answer rate: {rate}.\n"
    "Messages: {messages}.\nBroadcasts: {broadcasts}."
)
STATS_NONE = "n/a"
ADMIN_REFUSED = "Sorry — that command is for the organisers of this bot."
ADMIN_MAKER_USAGE = "Say which maker: /{command} +13135550101 or /{command} part of the name."
ADMIN_MAKER_NONE = "No maker matches “{query}”."
ADMIN_MAKER_MANY = "{count} makers match: {names}. Be more precise (a phone number always is)."
ADMIN_ALERTS_OFF = " (alerts off)"
ADMIN_MAKER_CARD = (
    "{name}\n{phone} · {zip} · {status}{alerts}\nMakes: {caps}\n"
    "Invited {invited}, answered {replied}, said yes {yes}, delivered {delivered} ({on_time} on time), "
    "rated {rating}. Responsiveness {score}."
)
ADMIN_PAUSED = "{name} is paused: no job requests until they text RESUME. They were told by SMS."
ADMIN_ALREADY_PAUSED = "{name} is already paused."
ADMIN_STOPPED = "{name} has opted out (STOP); only they can come back, by texting START."
ADMIN_CONSOLE_LINK = (
    "Your link to the organisers' console, good for one log-in within {minutes} minutes:\n{url}\n"
    "Do not forward it: whoever opens it first is logged in as you."
)
ADMIN_CONSOLE_OFF = (
    "The web console is off: whoever runs the server has to set MAKERLINK_SECRET_KEY (see docs/console.md)."
)
ADMIN_CONSOLE_NO_URL = (
    "The web console needs MAKERLINK_PUBLIC_URL, the https address its links point to (see docs/console.md)."
)
# ── the organisers' web console (bot/console/) ──
CONSOLE_OFF = "The organisers' console is off: set MAKERLINK_SECRET_KEY to turn it on (see docs/console.md)."
CONSOLE_LOGIN_NEEDED = "Please log in: send /console to the bot in Telegram and open the link it sends you."
CONSOLE_LINK_REFUSED = {
    "forged or altered": "This login link is not one the bot sent, or it was cut short.",
    "expired": "This login link has expired: links work for 10 minutes.",
    "already used": "This login link has already been used: each link works once.",
    "unknown": "This login link is not one the bot sent.",
    "not an organiser": "This login link is for someone who is not an organiser.",
}
CONSOLE_FIGURES_AS_OF = "Counted at {when}; the page counts again at most once a minute."
CONSOLE_NEW_LINK = "Send /console to the bot for a new one."
CONSOLE_LOGGED_OUT = "You are logged out. Send /console to the bot to log in again."
CONSOLE_BAD_FORM = "This form has expired or did not come from the console: go back, reload the page and try again."
CONSOLE_TOO_MANY = "Too many failed log-ins from this address: try again in {minutes} minutes."
CONSOLE_NO_REQUEST = "There is no request {code}."
CONSOLE_NOT_FOUND = "There is no such page in the console."
CONSOLE_CANNOT_CLOSE = "Request {code} is {status}: only an open or matched request can be closed."
CONSOLE_CANNOT_REOPEN = "Request {code} is {status}: only an expired request can be reopened."
CONSOLE_CANNOT_INVITE = "Request {code} is {status}: more makers can be asked only while it is open."
CONSOLE_CANNOT_RETRY = "Message #{id} is {status}: only a failed message can be sent again."
CONSOLE_UNKNOWN = "unknown"
CONSOLE_AUDIENCE_CHANGED = (
    "The audience changed since the preview: it is now {count} people. Nothing was sent; check and send again."
)
CONSOLE_NO_FILE = "Choose a CSV file to upload."
CONSOLE_NOT_PAUSED = "{name} is not paused."
CONSOLE_NO_MAKER = "There is no such maker."
CONSOLE_DONE = {
    "closed": "Request {code} is closed; the makers still on it and the buyer have been told.",
    "reopened": "Request {code} is open again; {count} makers asked.",
    "invited": "{count} more makers asked about request {code}.",
    "nobody": "No other maker fits request {code} within its radius; nobody new was asked.",
    "paused": "The maker is paused and was told by SMS.",
    "edited": "The listing is saved; the matcher uses it from now on.",
    "resumed": "The maker takes job requests again and was told by SMS.",
    "retried": "Message #{id} is queued again; the outbox checks it once more before it goes.",
}
CONSOLE_WIDGET_REFUSED = {
    "forged or altered": "Telegram's answer could not be checked: it was altered, or it is for another bot.",
    "expired": "Telegram's answer is more than 10 minutes old.",
    "already used": "This answer from Telegram has already been used to log in.",
    "not an organiser": "This Telegram account is not one of the organisers'.",
}
CONSOLE_WIDGET_AGAIN = "Log in with Telegram again, or send /console to the bot."
CONSOLE_LOGIN_WITH_TELEGRAM = "Log in with Telegram"
CONSOLE_WIDGET_INTRO = "Log in with your Telegram account (organisers only), or send /console to the bot for a link."
CONSOLE_WIDGET_CONFIRM = (
    "Telegram says who you are. Press the button to log in on this device; the session lasts 12 hours, or until you "
    "log out."
)
SERVE_CONSOLE = "Organisers' console: {url}/console (organisers log in with /console in the bot)."
SERVE_CONSOLE_OFF = "Organisers' console: off (set MAKERLINK_SECRET_KEY to turn it on; see docs/console.md)."
SMS_RESUMED_BY_ORGANISERS = (
    "makerlink: the organisers put your listing back, so job requests come again. Text PAUSE to stop them."
)
SMS_PAUSED_BY_ORGANISERS = (
    "makerlink: the organisers paused your listing, so no job requests for now. Text RESUME to come back."
)


def sms_versions_text(versions: Sequence[Mapping[str, Any]], beyond_gsm7: str = "") -> str:
    """“English: GSM-7, 1 segment each, to 40; Arabic: UCS-2, 2 segments each, to 3”: a broadcast's SMS cost
    language by language (Preview.as_dict()["sms_versions"]); `beyond_gsm7`, the text's own non-GSM-7 characters."""
    parts = [
        BROADCAST_SMS_VERSION.format(
            language=v["language_name"],
            encoding=v["encoding"],
            segments=SEGMENTS.format(n=v["segments"]),
            count=v["recipients"],
        )
        for v in versions
    ]
    text = "; ".join(parts) or BROADCAST_SMS_NONE
    if beyond_gsm7 and versions:
        more = " …" if len(beyond_gsm7) > BROADCAST_SMS_MAX_CHARS else ""
        chars = " ".join(beyond_gsm7[:BROADCAST_SMS_MAX_CHARS]) + more
        text += BROADCAST_SMS_BEYOND_GSM7.format(chars=chars)
    return text


def stats_text(figures: dict) -> str:
    median = figures["median_minutes_to_first_answer"]
    rate = figures["answer_rate"]
    return STATS_TEXT.format(
        **figures["makers"],
        **figures["requests"],
        median=f"{median:g} min" if median is not None else STATS_NONE,
        rate=f"{rate:.0%}" if rate is not None else STATS_NONE,
        messages=", ".join(f"{n} {s}" for s, n in sorted(figures["messages"].items())) or STATS_NONE,
        broadcasts="; ".join(f"#{b['id']} {b['status']} to {b['recipients']}" for b in figures["broadcasts"])
        or STATS_NONE,
    )


# ── what the bot did for the city: `makerlink stats --impact`, /stats, the sandbox's admin panel, the report ──
IMPACT_BAD_MONTH = "“{value}” is not a month: give it as YYYY-MM, for example 2026-11."
IMPACT_BAD_DAY = "“{value}” is not a date: give it as YYYY-MM-DD, for example 2026-11-01."
IMPACT_SINCE_NEEDS_IMPACT = "--since goes with --impact: makerlink stats --impact --since 2026-11-01."
IMPACT_HEADING_ALL = "Local impact, all time:"
IMPACT_HEADING_SINCE = "Local impact since {since}:"
IMPACT_HEADING_MONTH = "Local impact in {month}:"
IMPACT_NO_ORDERS = "No order accepted yet."
IMPACT_ORDERS = "Orders accepted: {orders} ({delivered} delivered). Spent with local makers: ${spent}{not_valued}."
IMPACT_NOT_VALUED = "; orders with no price (not counted): {count}"
IMPACT_MAKERS = "Makers with work: {makers}, for the first time: {first}. By type: {types}.{badges}"
IMPACT_BADGES = " By badge: {badges}."
IMPACT_REQUESTS = (
    "Requests served locally: {served}; not served: {not_served} ({expired} expired, {cancelled} cancelled); "
    "open with no order yet: {waiting}."
)
IMPACT_DISTANCE = "Median distance from maker to buyer: {median}."
IMPACT_EMISSIONS = (
    "Transport emissions avoided (estimated): {avoided} kg CO2e, from the orders with a known weight: {estimated} "
    "of {orders}."
)
IMPACT_NO_EMISSIONS = "Transport emissions avoided (estimated): no order had a known weight, so no estimate."
REPORT_HEADING = "Orders accepted in {month}: {count} (without buyers' details; --csv gives every column)."
REPORT_LINE = "{date}  {code:<6}  {what}  ·  {maker} ({kind})  ·  {distance}  ·  {value}  ·  {delivered}"
REPORT_NO_PRICE = "no price"
REPORT_DELIVERED = "delivered {date}"
REPORT_DELIVERED_LATE = "delivered {date}, late"
REPORT_UNDER_WAY = "under way"
REPORT_NO_ORDERS = "No order was accepted in {month}."


def impact_text(figures: Mapping[str, Any], heading: str) -> str:
    """The impact figures (bot/services/impact.py) as a few lines under `heading`; emissions called an estimate."""
    requests = figures["requests"]
    served = IMPACT_REQUESTS.format(
        served=requests["served_locally"],
        not_served=requests["not_served"],
        expired=requests["expired"],
        cancelled=requests["cancelled"],
        waiting=requests["open_without_order"],
    )
    if not figures["orders"]:
        return "\n".join([heading, IMPACT_NO_ORDERS, served])
    not_valued = figures["orders_not_valued"]
    median = figures["median_distance_miles"]
    carbon = figures["emissions"]
    lines = [
        heading,
        IMPACT_ORDERS.format(
            orders=figures["orders"],
            delivered=figures["delivered"],
            spent=money(figures["spent_cents"]),
            not_valued=IMPACT_NOT_VALUED.format(count=not_valued) if not_valued else "",
        ),
        IMPACT_MAKERS.format(
            makers=figures["makers"],
            first=figures["first_time_makers"],
            types=_makers_by(figures["by_type"]),
            badges=IMPACT_BADGES.format(badges=_makers_by(figures["by_badge"])) if figures["by_badge"] else "",
        ),
        served,
        IMPACT_DISTANCE.format(median=f"{median:g} mi" if median is not None else STATS_NONE),
        IMPACT_EMISSIONS.format(
            avoided=f"{carbon['avoided_kg_co2e']:,.1f}", estimated=carbon["orders_estimated"], orders=figures["orders"]
        )
        if carbon["orders_estimated"]
        else IMPACT_NO_EMISSIONS,
    ]
    return "\n".join(lines)


def report_line(row: Mapping[str, Any]) -> str:
    """One order of `makerlink report` without --csv (bot/services/impact.py report_rows)."""
    distance, value, delivered = row["distance_miles"], row["value_usd"], row["delivered_date"]
    if delivered is None:
        state = REPORT_UNDER_WAY
    else:
        state = (REPORT_DELIVERED_LATE if row["on_time"] is False else REPORT_DELIVERED).format(date=delivered)
    return REPORT_LINE.format(
        date=row["accepted_date"],
        code=row["request_code"],
        what=" ".join(str(part) for part in (row["quantity"], row["item"]) if part),
        maker=row["maker_name"],
        kind=row["maker_type"],
        distance=f"{distance:g} mi" if distance is not None else STATS_NONE,
        value=f"${value:,.2f}" if value is not None else REPORT_NO_PRICE,
        delivered=state,
    )


def _makers_by(groups: Mapping[str, Mapping[str, int]]) -> str:
    """“business 2, makerspace 1”: how many makers in each group."""
    return ", ".join(f"{label} {row['makers']}" for label, row in groups.items()) or STATS_NONE


# ── why a message did not go out (shown by `makerlink messages list`) ──
REASON_OPTED_OUT = "the recipient has opted out"
REASON_BLOCKED = "the recipient blocked the bot"
REASON_ALERTS_OFF = "the recipient turned alerts off"
REASON_LOOP_GUARD = "more than {limit} identical texts to this recipient within {minutes} minutes"
REASON_TIMEOUT = "the provider did not answer in time"
REASON_INTERRUPTED = "the sender stopped in the middle of sending it"
REASON_LOOKUP_FAILED = "could not check with the provider whether an earlier attempt went out"
REASON_SENDER_BUG = "unexpected {error} in the sender"
REASON_BAD_CHAT = "not a Telegram chat id"
REASON_SLOW_DOWN = "Telegram asked to slow down"
REASON_REQUEST_CLOSED = "the request closed before the invitation went out"
REASON_PROVIDER_STATUS = "the provider reported the message {status}"


# ── SMS to makers ──
# An invitation never names the buyer; it says exactly how to answer. Kept within two segments when it can.
SMS_INVITATION = (
    "makerlink job {code}: {what}{when}, {where}. Can you make it? "
    "Reply YES {code} with price and days to make (e.g. YES {code} $2.10 each 5 days), or NO {code}."
)
SMS_INVITATION_SHORT = "makerlink job {code}: {what}{when}, {where}. Reply YES {code} price days, or NO {code}."
SMS_WHEN_BY = ", needed by {date}"
SMS_WHEN_ASAP = ", needed ASAP"
SMS_WHERE = "{distance} from you ({area})"
SMS_WHERE_AREA = "near {area}"
SMS_QUANTITY_UNKNOWN = "{item} (quantity open)"
SMS_WHAT = "{quantity:,} {item}"  # the item and unit keep the directory's (English) names
SMS_WHAT_UNIT = "{quantity:,} {unit} of {item}"

SMS_QUOTE_THANKS = "Thanks! Your answer for job {code} ({terms}) went to the buyer. We'll text you if they accept."
SMS_QUOTE_TERMS_NONE = "no price yet"
SMS_QUOTE_HINT = " Tip: add your price and days, e.g. YES {code} $2.10 each 5 days."
SMS_QUOTE_ALREADY = "Noted: your answer for job {code} is with the buyer. To change it: YES {code} new price, days."
SMS_STOPPED = "You will get no more texts from makerlink. Text START to come back."
SMS_DECLINE_THANKS = "Thanks for letting us know — job {code} is off your list."
SMS_DONE_THANKS = "Marked job {code} delivered. Thank you!"
SMS_LATE_NOTED = "Thanks — we told the buyer job {code} is running {days} late."
SMS_LATE_NOTED_NO_DAYS = (
    "Thanks — we told the buyer job {code} is running late. Reply LATE {code} 3 to say how many days."
)
SMS_NOT_ACCEPTED_YET = "Job {code} is not accepted by the buyer yet, so there is nothing to deliver."
SMS_NOT_ACCEPTED_LATE = "Job {code} is not accepted by the buyer yet; no need to report a delay."
SMS_JOB_CLOSED = "Job {code} is closed ({status}); nothing changed."
SMS_ALREADY_ACCEPTED = "Job {code} is already agreed; text DONE {code} when delivered or LATE {code} 3 if late."
SMS_UNKNOWN_CODE = "There is no job {code} for this number. {jobs}"
SMS_NO_OPEN_JOBS = "You have no open jobs right now."
SMS_WHICH_JOB = "Which job? Reply with its code: {choices}"
SMS_WHICH_CHOICE = "{code} ({what})"
SMS_MY_JOBS = "Your jobs: {jobs}"
SMS_MY_JOB = "{code} {what} — {state}"
SMS_JOB_STATE = {
    "invited": "waiting for your answer",
    "quoted": "you answered, waiting for the buyer",
    "accepted": "agreed, due {due}",
}
SMS_DUE_OPEN = "as agreed"
SMS_CODE_ALONE = "For job {code}, reply YES {code} (with price and days) or NO {code}."
SMS_PAUSED_UNTIL = "Paused until {date}: no job requests until then. Text RESUME to come back sooner."
SMS_PAUSED = "Paused: no job requests until you text RESUME."
SMS_RESUMED = "Welcome back — you will get job requests again."
SMS_NOT_PAUSED = "You are already taking job requests."
SMS_CAPS = "You make: {caps}. Text CAPS ADD item; item or CAPS REMOVE 2 to change this."
SMS_CAPS_LINE = "{n}) {phrase}"
SMS_CAPS_EMPTY = "No capabilities listed. Text CAPS ADD face shields; sewing to add some."
SMS_CAPS_ADDED = "Added: {added}. {understood}"
SMS_CAPS_ALREADY = "Already listed: {phrases}."
SMS_CAPS_REMOVED = "Removed: {phrase}."
SMS_CAPS_NOT_FOUND = "Nothing to remove matches “{what}”. {caps}"
SMS_CAPS_NEED_ITEMS = "Say what to add, e.g. CAPS ADD face shields; sewing."
SMS_CAPS_TOO_MANY = "You can list at most {limit} capabilities; remove some first (CAPS REMOVE 2)."
# GREEN and TEACH keep their lists as CAPS does; the sentences above about adding and removing serve all three.
SMS_GREEN = "Your greener practices: {caps}. Text GREEN ADD item; item or GREEN REMOVE 2 to change this."
SMS_GREEN_EMPTY = (
    "No greener practices listed. Text GREEN ADD recycled materials; solar powered to add some: buyers who ask for "
    "greener makers see them."
)
SMS_GREEN_NEED_ITEMS = "Say what to add, e.g. GREEN ADD recycled materials; solar powered."
SMS_GREEN_TOO_MANY = "You can list at most {limit} greener practices; remove some first (GREEN REMOVE 2)."
SMS_TEACH = "You teach or lend: {caps}. Text TEACH ADD item; item or TEACH REMOVE 2 to change this."
SMS_TEACH_EMPTY = (
    "Nothing listed that you teach or lend. Text TEACH ADD TIG welding classes; open shop hours to add some."
)
SMS_TEACH_NEED_ITEMS = "Say what to add, e.g. TEACH ADD TIG welding classes; open shop hours."
SMS_TEACH_TOO_MANY = "You can list at most {limit} classes or offers; remove some first (TEACH REMOVE 2)."
SMS_BADGES_YOURS = "Your badges: {badges}. "
SMS_BADGES_BY_ORGANISERS = (
    "{yours}Badges such as Made in Detroit are given by the organisers who run makerlink here, not by text: ask them "
    "if you qualify. Nothing was changed."
)
SMS_UNDERSTOOD = "I understood: {labels}."
SMS_NOT_RECOGNISED = "Kept as written (not in our list yet): {phrases}."
SMS_ALERTS_OFF = "Alerts are off. You will still get job requests; text ALERTS ON to get alerts again."
SMS_ALERTS_ON = "Alerts are on again."
SMS_RESUBSCRIBED = "You are back on makerlink and will get job requests again. Text HELP for commands."
SMS_HELP = (
    "makerlink: YES code price days / NO code to answer a job, DONE code when delivered, LATE code days, "
    "MY for your jobs, PAUSE 2W / RESUME, CAPS to see what you make, GREEN your greener practices, TEACH what "
    "you teach, ALERTS OFF, LANG ES or AR for Spanish or Arabic, STOP to leave."
)
SMS_UNKNOWN = "Sorry, I did not understand. {hint}"
SMS_HINT_ONE_JOB = "To answer job {code}: YES {code} $2.10 each 5 days, or NO {code}. Text HELP for more."
SMS_HINT = "Text HELP for the commands, or MY for your jobs."
SMS_STRANGER = "This is makerlink, which sends local makers job requests from buyers. Text JOIN to sign up as a maker."
SMS_ALREADY_JOINED = "You are already signed up as {name}. Text CAPS to see what you make, HELP for commands."
SMS_JOIN_NAME = "Welcome to makerlink! What is your business or shop name?"
SMS_JOIN_NAME_BAD = "Please send your business name (up to {limit} characters)."
SMS_JOIN_ZIP = "Thanks, {name}. What is your 5-digit ZIP code?"
SMS_JOIN_ZIP_BAD = "I could not find ZIP code “{value}”. Please send a 5-digit US ZIP code."
SMS_JOIN_CAPS = "What do you make or do? Separate items with ; (e.g. face shields; sewing; 3D printing)."
SMS_JOIN_CAPS_BAD = "Please list at least one thing you make, e.g. face shields; sewing."
SMS_JOINED = (
    "You're in, {name} ({zip})! {understood} You'll get job requests by text. HELP for commands, STOP to leave."
)
SMS_ERROR = "Sorry, something went wrong on our side. Please try again in a few minutes."
# LANG ES / IDIOMA / لغة: the language makerlink texts a maker in ({choices}: "EN, ES, AR").
SMS_LANGUAGE_SET = "From now on makerlink texts you in English. To change it: LANG and one of {choices}."
SMS_LANGUAGE_UNKNOWN = "Which language? Text LANG and one of {choices}, e.g. LANG ES."
SMS_LANGUAGE_GUESSED = "(Texts come in English; for another language reply LANG and one of {choices}.)"
# To a maker whose texts are in another language than theirs (in the language they wrote in).
SMS_LANGUAGE_OFFER = "To get makerlink's texts in English, reply LANG EN."

# ── buyers in the chat (Telegram) ──
BUYER_WELCOME = (
    "Hi! I connect you with local makers — bakeries, breweries, sewing and print shops, woodworkers, machine "
    "shops, makerspaces — who can make what you need: bread for your café, custom tees, wooden pallets, machined "
    "parts, soap, face shields and more.\n\n"
    "First, where are you? Send your ZIP code, or share your location."
)
BUYER_WELCOME_BACK = (
    "Welcome back {name}! Tell me what you need, e.g. “500 face shields by Friday”. "
    "I will use ZIP {zip} unless you name another place."
)
BUYER_HELP = (
    "Write what you need in your own words, e.g. “need 200 wooden pallets by Friday near 48201”. I check it with "
    "you, text the best makers nearby, and pass on their answers; accept one and I introduce you.\n\n"
    "/requests — your requests and the answers\n/cancel — cancel a request\n/settings — ZIP, language, radius\n"
    "/help — this message"
)
BUYER_UNKNOWN_COMMAND = "I don't know that command. Try /help."
BUYER_ASK_ZIP = "Send your ZIP code (e.g. 48201), or share your location."
BUYER_ZIP_SAVED = "Got it: {zip} ({place}). Now tell me what you need, e.g. “500 face shields by Friday”."
BUYER_ZIP_UNKNOWN = "I could not find “{text}” as a US ZIP code or town. Send a 5-digit ZIP, or share your location."
BUYER_LOCATION_FAR = "That location is not near any US ZIP code I know. Please send your ZIP code instead."
BUYER_EXAMPLE = (
    "I could not tell what you need. Try something like “need 200 wooden pallets by Friday near 48201” or "
    "“150 custom tees with our logo asap”."
)
BUYER_ASK_PLACE = "Where is it needed? Send a ZIP code or a town, or share your location."
BUYER_ASK_QUANTITY = "How many {what} do you need? Send a number, or tap “Not sure”."
BUYER_ASK_QUANTITY_AGAIN = "Please send a number, e.g. 500 — or tap “Not sure”."
BUYER_SUMMARY = "Here is what I understood:\n{summary}\n\nSend it to makers nearby?"
BUYER_FIELD_WHAT = "• What: {what}"
BUYER_FIELD_QUANTITY = "• How many: {quantity}"
BUYER_FIELD_WHEN = "• By when: {when}"
BUYER_FIELD_WHERE = "• Where: {place}, within {radius:g} miles"
BUYER_QUANTITY_OPEN = "not sure yet"
BUYER_NO_DEADLINE = "no deadline given"
BUYER_WHAT_TO_CHANGE = "What should I change?"
BUYER_EDIT_ITEM = "What do you need? (e.g. sourdough bread, wooden pallets, embroidered polos, face shields)"
BUYER_EDIT_QUANTITY = "How many? Send a number, or “not sure”."
BUYER_EDIT_DEADLINE = "By when? (e.g. Friday, Dec 10, in 2 weeks, asap)"
BUYER_EDIT_PLACE = "Where? Send a ZIP code or a town, or share your location."
BUYER_ITEM_UNKNOWN = "I did not recognise that item. Try a plain name such as “face shields” or “isolation gowns”."
BUYER_DEADLINE_UNKNOWN = "I did not understand that date. Try “Friday”, “Dec 10”, “in 2 weeks” or “asap”."
BUYER_DROPPED = "OK, I dropped that request. Tell me whenever you need something."
BUYER_SENT = Plural(
    "Sent to {count} maker within {radius:g} miles (request {code}). The answer will appear here when it comes in.",
    "Sent to {count} makers within {radius:g} miles (request {code}). Their answers will appear here as they come in.",
)
BUYER_SENT_TOAST = "Sent!"
# Under “Sent to …”, one line per maker asked: who they are, never their name or phone before the buyer accepts.
BUYER_FOUND_LINE = "Maker {rank} — {distance}{about}"
BUYER_FOUND_PART = " · {part}"
BUYER_FOUND_FITS = "✓ {what}"  # fits a preference the buyer gave
BUYER_FOUND_GREENER = "greener: {practices}"
BUYER_FOUND_EMISSIONS = "≈ {kg} kg CO₂e less transport than importing (estimate)"
BUYER_FOUND_NO_SAVING = "no less transport than importing (estimate)"
BUYER_HIDDEN = Plural(
    "You asked for {what} only, so I left out {count} other maker nearby who could make it.",
    "You asked for {what} only, so I left out {count} other makers nearby who could make it.",
)
MAKER_TYPES = {
    "business": "business",
    "makerspace": "community workshop",
    "school": "school or training programme",
    "cooperative": "cooperative",
    "individual": "independent maker",
}
PREFERENCE_GREEN = "greener practices"
BUYER_FIELD_PREFER = "• Prefer: {prefer}"
BUYER_PREFER_ONLY = "{what} only"
BUYER_PREFER_ASK = (
    "Which makers should come first? Those who fit rank higher and I say why; the others are not left out."
)
BUYER_PREFER_SAVED = "Preference saved."
BUYER_PREFER_REMOVED = "Preference removed."
BUYER_ALREADY_SENT = "This request was already sent."
BUYER_NOBODY = (
    "I'm sorry — no maker in the directory within {radius:g} miles of {zip} can make {what} yet. "
    "I can look further, or tell the organisers, who may know someone."
)
BUYER_NOBODY_ONLY = (
    "{hidden} Send the request again without “only” to ask them, or I can look further or tell the organisers."
)
BUYER_ALREADY_WIDE = "Already searching within {miles} miles."
BUYER_ORGANISERS_TOLD = "The organisers have been told about your request; they will reach out if they find a maker."
BUYER_ORGANISERS_ALREADY = "The organisers already know about this request."
BUYER_NO_ORGANISERS = "This bot has no organisers set up yet, so there is nobody to tell. I'm sorry."
BUYER_NO_HANDLE = "no Telegram username"
ADMIN_UNSERVED = "Request {code} found no maker:\n{summary}\nBuyer: {name} ({handle})."
BUYER_QUOTE = "Maker {rank} — {distance} — {terms}"
BUYER_NOBODY_ANSWERED = Plural(
    "The {count} maker asked cannot take request {code}.", "None of the {count} makers asked can take request {code}."
)
BUYER_REST_UNCOVERED = "{done:,} of {total:,} committed for request {code}; no maker asked can take the rest."
BUYER_NEED_CONTACT_AGAIN = (
    "Please tap the button to share your phone number, or type it (e.g. +1 313 555 0177). /cancel stops here."
)
BUYER_NOT_YOURS = "That button belongs to someone else's request."
BUYER_STALE_BUTTON = "That button is out of date; nothing changed."
BUYER_ANSWER_GONE = "That answer is no longer open; nothing changed."
BUYER_ALREADY_COVERED = "Your request is already fully covered."
BUYER_NEED_CONTACT = (
    "So the maker can reach you, please share your phone number (you have no Telegram username). "
    "It goes only to the maker you accept."
)
BUYER_CONTACT_BAD = "That phone number does not look right. Tap the button to share it."
BUYER_CONTACT_SAVED = "Thanks, I saved your phone number."
BUYER_INTRODUCTION = (
    "You accepted Maker {rank} for request {code}: {terms}.\n\n{name}\n{phone}{website}\n\n"
    "They have your contact details too; please arrange the details directly."
)
BUYER_ACCEPTED_TOAST = "Accepted — introducing you now."
BUYER_REJECTED_TOAST = "Declined. The maker will be told."
BUYER_ANONYMOUS = "A buyer"
BUYER_PARTLY = "{done:,} of {total:,} committed; the rest of the request stays open for other makers."
BUYER_NO_REQUESTS = "You have no requests yet. Tell me what you need, e.g. “500 face shields by Friday”."
BUYER_REQUEST_LINE = "{code} · {what} · {status}"
BUYER_COMMITTED = "  {done:,} of {total:,} committed"
BUYER_ACCEPTED_LINE = "Maker {rank} (accepted): {name}, {phone}"
BUYER_ANSWER_COUNTS = "{declined} said no, {waiting} not answered yet"
REQUEST_STATUS = {
    "draft": "draft",
    "open": "open",
    "matched": "matched",
    "fulfilled": "delivered",
    "cancelled": "cancelled",
    "expired": "expired",
}
BUYER_NOTHING_TO_CANCEL = "You have no open requests to cancel."
BUYER_WHICH_CANCEL = "Which request should I cancel? The makers asked will be told by SMS."
BUYER_CANCELLED = "Request {code} is cancelled; the makers have been told."
BUYER_SETTINGS = "Your settings:\n• ZIP: {zip}\n• Language: {language}\n• Search radius: {radius:g} miles"
BUYER_NOT_SET = "not set"
BUYER_LANGUAGE_SAVED = "Language: {language}"
BUYER_RADIUS_SAVED = "Search radius: {miles} miles"
BUYER_GROUP_POINTER = "I work in private chats only — please message me directly."
WHEN_ASAP = "as soon as possible"

BUTTON_SHARE_LOCATION = "📍 Share my location"
BUTTON_SHARE_CONTACT = "📱 Share my phone number"
BUTTON_NOT_SURE = "Not sure"
BUTTON_SEND = "✅ Send to makers"
BUTTON_CHANGE = "✏️ Change…"
BUTTON_DROP = "✖️ Cancel"
BUTTON_PREFER = "🌱 Prefer greener / local label…"
BUTTON_PREFER_GREEN = "Greener practices"
BUTTON_PREFER_MAKERSPACE = "Community workshop"
BUTTON_PREFER_NONE = "No preference"
BUTTON_PREFER_CHOSEN = "✓ {label}"
BUTTON_EDIT_ITEM = "What"
BUTTON_EDIT_QUANTITY = "How many"
BUTTON_EDIT_DEADLINE = "By when"
BUTTON_EDIT_PLACE = "Where"
BUTTON_WIDEN = "Widen to {miles} miles"
BUTTON_ORGANISERS = "Tell the organisers"
BUTTON_CANCEL_REQUEST = "Cancel {code} ({what})"
BUTTON_CHANGE_ZIP = "Change ZIP"
BUTTON_RADIUS = "{miles} mi"

# ── pictures ──
# Why a picture or drawing was not kept: one sentence to whoever sent it (the text that came with it still goes).
PICTURE_TOO_BIG = "The picture was not kept: it is larger than {limit_mb} MB."
PICTURE_TOO_BIG_PIXELS = "The picture was not kept: it has too many pixels."
PICTURE_WRONG_KIND = "The picture was not kept: only photos (JPEG, PNG, WebP, GIF) and PDF files are accepted."
PICTURE_UNREADABLE = "The picture was not kept: the file could not be read."
PICTURE_NOT_FETCHED = "The picture was not kept: it could not be downloaded."
PICTURE_TOO_MANY = "Only the first {limit} pictures were kept."
# The buyer's summary of a request.
BUYER_PICTURES_ATTACHED = Plural("📎 {count} drawing attached", "📎 {count} drawings attached")
BUYER_PICTURE_KEPT = "📎 Picture kept with your request {code}."
BUYER_PICTURE_SENT_ON = "📎 Picture kept with your request {code} and sent to the makers asked."
BUYER_PICTURE_NO_REQUEST = "Tell me what you need made first, then send the picture (or send it with the words)."
BUYER_PICTURE_FROM_MAKER = "📎 Maker {rank} sent a picture for request {code}."
# SMS and MMS to makers
SMS_PICTURE_ADDED = "{code}: the buyer added a picture. Reply YES {code} with price and days, or NO {code}."
SMS_PICTURE_PASSED_ON = "Thanks, your picture for {code} was passed on to the buyer."
SMS_PICTURE_NOT_PASSED_ON = "The picture was not passed on: send it again with your answer (YES and the job's code)."


# ── follow-ups ──
SMS_NUDGE = "makerlink reminder: job {code}, {what}. Can you make it? Reply YES {code} price days, or NO {code}."
SMS_CHECKIN = (
    "makerlink: still on track for job {code} ({what}) by {when}? Reply DONE {code} when delivered, or LATE {code} 3 "
    "if it will be late."
)
SMS_REQUEST_CLOSED = "makerlink: job {code} has closed without an order. Thank you for answering!"
SMS_REQUEST_CLOSED_UNANSWERED = (
    "makerlink: job {code} is no longer needed: it has closed without an order. No need to answer."
)
SMS_FRESHNESS = "makerlink: are you still taking orders? Reply YES to stay listed, or PAUSE 2W for a break."
SMS_FRESHNESS_PAUSED = (
    "makerlink: we did not hear back, so your listing is paused and you get no job requests. Text RESUME to come back."
)
SMS_STILL_LISTED = "Thanks! You stay listed and will get job requests."
BUYER_MAKER_REPLACED = "Maker {rank} did not answer, so I asked another maker nearby."
BUYER_NUDGE = Plural(
    "{count} answer is waiting for request {code}:\n{answers}\n\nAccept it, or ignore it to let the request close.",
    "{count} answers are waiting for request {code}:\n{answers}\n\nAccept one, or ignore them to let it close.",
)
BUYER_REQUEST_QUIET = "Request {code} is closed, since no answer was chosen. You can reopen it."
BUYER_REQUEST_EXPIRED = "Request {code} has expired without an order. You can reopen it, or send a new request."
BUYER_REOPENED = Plural(
    "Request {code} is open again; I asked {count} more maker.",
    "Request {code} is open again; I asked {count} more makers.",
)
# What the organisers did to a buyer's request from the console.
BUYER_CLOSED_BY_ORGANISERS = "The organisers closed request {code}; the makers have been told."
BUYER_REOPENED_BY_ORGANISERS = Plural(
    "The organisers reopened request {code} and asked {count} more maker.",
    "The organisers reopened request {code} and asked {count} more makers.",
)
BUYER_MORE_MAKERS = Plural(
    "The organisers asked {count} more maker about request {code}.",
    "The organisers asked {count} more makers about request {code}.",
)
# After the introduction the buyer knows the maker: these name them.
BUYER_CHECKIN = "Did the {what} from {name} arrive (request {code})?"
BUYER_RATE = "Great! How was {name}? 1 = poor, 5 = excellent."
BUYER_THANKS_RATING = "Thanks for rating!"
BUYER_NOT_YET_NOTED = "OK — I will ask again in a couple of days."
BUYER_PROBLEM_TOLD = "Sorry to hear that. The organisers have been told and will get in touch."
ADMIN_PROBLEM = "Problem reported on request {code} with maker {maker}, by {name} ({handle})."
BUTTON_REOPEN = "Reopen"
BUTTON_ARRIVED = "Yes"
BUTTON_NOT_YET = "Not yet"
BUTTON_PROBLEM = "Problem"

# ── SMS to makers about the buyer's decisions ──
SMS_INTRODUCTION = (
    "makerlink: job {code} is yours! Buyer: {name}, {contact}. Order: {what}; {terms}. "
    "Please contact them to arrange delivery. Text DONE {code} when delivered, or LATE {code} 3 if late."
)
SMS_TELEGRAM_HANDLE = "@{username} on Telegram"
# When a job closes, a maker who answered is thanked; one who never answered is told not to.
SMS_FILLED = "makerlink: job {code} has been filled by other makers. Thank you for answering!"
SMS_FILLED_UNANSWERED = "makerlink: job {code} is no longer needed: it has been filled. No need to answer."
SMS_NOT_CHOSEN = "makerlink: the buyer will not go ahead with your offer for job {code}. Thank you for answering!"
SMS_CANCELLED = "makerlink: the buyer cancelled job {code}. Sorry for the trouble, and thank you."
SMS_CANCELLED_UNANSWERED = "makerlink: job {code} is no longer needed: the buyer cancelled it. No need to answer."
BUYER_DELIVERED = "{name} says your order {code} is delivered."
BUYER_LATE = "{name} says order {code} is running late{days}."
BUTTON_ACCEPT = "Accept"
BUTTON_DECLINE = "Decline"

TERMS_QUANTITY = "can make {quantity:,}"
TERMS_QUANTITY_UNKNOWN = "can make it"
TERMS_PRICE_EACH = "at ${price} each"
TERMS_PRICE_TOTAL = "for ${price} in all"
TERMS_READY = "ready in {days}"
TERMS_AND = ", "  # between what a maker offers and when it is ready
DAYS = Plural("{n} day", "{n} days", count="n")
MILES = "{miles:.1f} mi"
MILES_UNKNOWN = "distance unknown"


def days_text(n: int, t=None) -> str:
    """“1 day”, “5 days”, in the language of catalogue `t` (default English) with its own plural forms."""
    t = t or sys.modules[__name__]
    return t.DAYS.format(n=n)


def money(cents: int) -> str:
    """$2.10, $500, $1,050.50."""
    whole, part = divmod(cents, 100)
    return f"{whole:,}" + (f".{part:02d}" if part else "")


def terms(quantity: int | None, price_cents: int | None, total_cents: int | None, lead_days: int | None, t=None) -> str:
    """“can make 500 at $2.10 each, ready in 5 days”, in the language of catalogue `t` (default English)."""
    t = t or sys.modules[__name__]
    parts = [t.TERMS_QUANTITY.format(quantity=quantity) if quantity else t.TERMS_QUANTITY_UNKNOWN]
    if price_cents is not None:
        parts.append(t.TERMS_PRICE_EACH.format(price=money(price_cents)))
    elif total_cents is not None:
        parts.append(t.TERMS_PRICE_TOTAL.format(price=money(total_cents)))
    text = " ".join(parts)
    if lead_days is not None:
        text += t.TERMS_AND + t.TERMS_READY.format(days=days_text(lead_days, t))
    return text


def skip_ahead_notice(hours: float, sent: int, skipped: Mapping[str, int]) -> str:
    """“Skipped ahead 24 h: 9 follow-ups came due — 5 sent; 4 skipped because the job was already filled or
    closed.”: `skipped` counts the reminders skipped by kind of reason (SKIP_REASONS)."""
    due = sent + sum(skipped.values())
    if not due:
        return SANDBOX_SKIPPED_AHEAD.format(hours=f"{hours:g}", what=SANDBOX_NOTHING_DUE)
    parts = [SANDBOX_DUE_SENT.format(count=sent)] if sent else []
    for why, count in sorted(skipped.items(), key=lambda item: list(SKIP_REASONS).index(item[0])):
        if count:
            parts.append(SANDBOX_DUE_SKIPPED.format(count=count, reason=SKIP_REASONS[why]))
    follow_ups = FOLLOW_UPS.format(n=due)
    what = SANDBOX_CAME_DUE.format(follow_ups=follow_ups, parts="; ".join(parts))
    return SANDBOX_SKIPPED_AHEAD.format(hours=f"{hours:g}", what=what)
