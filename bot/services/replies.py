"""Makers' SMS replies ("YES K7Q2 500 @ $2.10, ready in 5 days", "LATE 3", "CAPS ADD masks; gowns",
"GREEN ADD solar powered", "TEACH REMOVE 1") as data.

Pure: stdlib and `matching` only, no database and no I/O (the clock is read only when `today` is not given).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from matching.dates import find_deadline
from matching.quantities import MAX_QUANTITY, find_quantity
from matching.text import fold_chars

KINDS = (
    "yes", "no", "done", "late", "my", "pause", "resume", "caps", "caps_add", "caps_remove",
    "green", "green_add", "green_remove", "teach", "teach_add", "teach_remove", "badge",
    "alerts_off", "alerts_on", "stop", "start", "help", "join", "lang", "code", "empty", "unknown",
)  # fmt: skip
# The lists a maker keeps by SMS, each shown by its bare keyword and changed with ADD / REMOVE: what they make,
# their greener practices, what they teach or lend.
LISTS = ("caps", "green", "teach")

MAX_PRICE_CENTS = 100_000_000  # $1,000,000 a unit
MAX_TOTAL_CENTS = 100_000_000_000  # $1,000,000,000 an order
MAX_DAYS = 3650
MAX_CAPABILITY_NUMBER = 1000  # "CAPS REMOVE 2": a position in the maker's list


@dataclass(frozen=True)
class Reply:
    kind: str  # one of KINDS
    code: str | None = None  # upper case, without "#"
    quantity: int | None = None  # YES: how many they can make
    price_cents: int | None = None  # YES: per unit
    total_cents: int | None = None  # YES: for the whole order
    lead_time_days: int | None = None  # YES: days from `today` until ready
    days: int | None = None  # LATE: how late; PAUSE: how long; None when not said
    phrases: tuple[str, ...] = ()  # CAPS / GREEN / TEACH ADD or REMOVE: the items, in the maker's spelling
    number: int | None = None  # CAPS REMOVE 2: a position in the maker's list
    language: str | None = None  # LANG ES: the language code asked for; None when not one we know
    text: str = ""  # the message, stripped


# ── reply codes ──

CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L or O: on a phone screen they pass for 1 and 0
CODE_DIGITS = "23456789"  # no 0 or 1, for the same reason
_LETTER = "[a-hjkmnp-z]"
_DIGIT = "[2-9]"
_CODE_BODY = f"{_LETTER}{_DIGIT}{_LETTER}{_DIGIT}(?:{_LETTER}{_DIGIT})?"
# re.ASCII: without it IGNORECASE lets the Kelvin sign stand for K, and the code would not match the stored one.
CODE_PATTERN = re.compile(f"#?{_CODE_BODY}", re.IGNORECASE | re.ASCII)
# In folded (lower-case) text. A code is a whole token, so "N95", "KN95" or "A2B3C" never yield one.
_CODE_IN_TEXT = re.compile(rf"(?<![^\W_])#?({_CODE_BODY})(?![^\W_])")


def new_code(rng: random.Random, length: int = 4) -> str:
    """A random reply code: letter, digit, letter, digit (and one more pair when `length` is 6)."""
    if length not in (4, 6):
        raise ValueError(f"a reply code has 4 or 6 characters, not {length}")
    return "".join(rng.choice(CODE_LETTERS if i % 2 == 0 else CODE_DIGITS) for i in range(length))


# ── keywords: the first word decides the kind ──

# Whatever the maker's language, the keywords of English, Spanish and Arabic all work (in folded spelling:
# "sí" is "si", "تم" stays, "مساعدة" is "مساعده", "متأخر" is "متاخر").
_YES = (
    "yes", "y", "yeah", "yep", "yup", "ya", "sure", "ok", "okay", "si", "oui", "claro", "vale", "نعم", "اجل", "ايوه",
)  # fmt: skip
_NO = ("no", "n", "nope", "nah", "decline", "pass", "لا")
# Twilio's own opt-out words: Twilio answers a bare one itself. The Spanish and Arabic ones are ours to confirm.
TWILIO_OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
_FIRST_WORDS: dict[str, str] = {
    **dict.fromkeys(_YES, "yes"),
    **dict.fromkeys(_NO, "no"),
    **dict.fromkeys(
        ("done", "delivered", "shipped", "complete", "completed", "finished", "listo", "lista", "entregado", "تم"),
        "done",
    ),
    **dict.fromkeys(("late", "delay", "delayed", "tarde", "retraso", "retrasado", "متاخر", "تاخير"), "late"),
    **dict.fromkeys(("my", "list", "open", "jobs", "orders", "mis", "trabajos", "طلباتي"), "my"),
    **dict.fromkeys(("pause", "away", "vacation", "busy", "pausa", "pausar", "descanso", "استراحه"), "pause"),
    **dict.fromkeys(("resume", "unpause", "back", "available", "reanudar", "استيناف"), "resume"),  # استئناف
    **dict.fromkeys(("caps", "cap", "capabilities", "capability", "productos", "منتجات"), "caps"),
    **dict.fromkeys(("green", "greener", "eco", "practices", "practice", "sustainability", "verde", "اخضر"), "green"),
    **dict.fromkeys(("teach", "teaching", "training", "trainings", "classes", "class", "courses", "lessons"), "teach"),
    **dict.fromkeys(("clases", "cursos", "تعليم"), "teach"),
    # Badges are the organisers' to give: these words get that answer, never a change.
    **dict.fromkeys(("badge", "badges", "label", "labels"), "badge"),
    **dict.fromkeys(("alerts", "alert", "avisos", "aviso", "تنبيهات", "تنبيه"), "alerts"),
    # Twilio's and the carriers' opt-out words (REVOKE and OPTOUT included): erring towards opting out is safe.
    **dict.fromkeys((*TWILIO_OPT_OUT_WORDS, "parar", "baja", "ايقاف"), "stop"),
    **dict.fromkeys(("start", "unstop"), "start"),
    **dict.fromkeys(("help", "info", "commands", "ayuda", "مساعده"), "help"),
    **dict.fromkeys(("join", "signup", "register", "unirme", "unirse", "registrarme", "انضمام", "انضم"), "join"),
    **dict.fromkeys(("lang", "language", "idioma", "لغه"), "lang"),
}
# LANG ES, IDIOMA español, لغة عربي: the language named, by its code.
LANGUAGE_NAMES = {
    **dict.fromkeys(("en", "english", "ingles", "انجليزي", "الانجليزيه", "انجليزيه"), "en"),
    **dict.fromkeys(("es", "spanish", "espanol", "castellano", "اسباني", "الاسبانيه", "اسبانيه"), "es"),
    **dict.fromkeys(("ar", "arabic", "arabe", "عربي", "العربيه", "عربيه"), "ar"),
}
# Words that tell a stranger's Spanish apart (folded), beside the keywords above.
_SPANISH_WORDS = frozenset(
    {"hola", "quiero", "buenos", "buenas", "dias", "tardes", "gracias", "soy", "tengo", "hacemos", "hago", "somos",
     "nombre", "negocio", "taller", "panaderia", "costura", "por", "favor", "unirme", "unirse", "registrarme", "si"}
)  # fmt: skip
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# The Arabic decimal and thousands separators and comma, read as "." and "," (one character each: lengths stay).
_ARABIC_PUNCTUATION = str.maketrans({"\u066b": ".", "\u066c": ",", "\u060c": ","})
_TWO_WORDS: dict[tuple[str, ...], str] = {
    ("sign", "up"): "join",
    ("opt", "out"): "stop",
    # "No problem, 500 by Friday" agrees; read by its first word it would decline the job.
    ("no", "problem"): "yes",
    ("no", "prob"): "yes",
    ("no", "probs"): "yes",
    **{("sorry", word): "no" for word in (*_NO, "cant", "cannot")},
}
_MY_WORDS = frozenset(
    {"my", "list", "open", "jobs", "job", "orders", "order", "requests", "request", "active", "current", "pending",
     "all", "work", "show", "me", "please", "pls", "plz", "mis", "trabajos", "trabajo", "pedidos", "pedido", "طلباتي"}
)  # fmt: skip
_MY_MAX_WORDS = 5  # "list all my open jobs"; anything longer is a sentence, not the command
_LIST_ACTIONS = {
    **dict.fromkeys(("add", "agregar", "anadir", "اضافه", "اضف"), "add"),
    **dict.fromkeys(("remove", "del", "delete", "quitar", "borrar", "eliminar", "حذف", "ازاله"), "remove"),
}
_ALERT_SWITCH = {
    **dict.fromkeys(("off", "stop", "disable", "mute", "pause", "no", "desactivar", "ايقاف", "لا"), "alerts_off"),
    **dict.fromkeys(("on", "start", "enable", "unmute", "resume", "yes", "si", "activar", "تشغيل", "نعم"), "alerts_on"),
}
_TAKES_CODE = frozenset({"yes", "no", "done", "late"})  # the kinds that answer one request
# Words that may follow DONE, or BACK / AVAILABLE, without turning the command into a sentence.
_DONE_FILLER = frozenset(
    {"thanks", "thank", "you", "ty", "thx", "all", "its", "it", "is", "job", "order", "delivered", "shipped", "and",
     "we", "are", "both", "sides", "today", "now", "gracias", "ya", "entregado", "hoy", "التسليم", "شكرا"}
)  # fmt: skip
_RESUME_FILLER = frozenset({"now", "again", "online", "here", "im", "i", "am", "available", "back"})

# A word: letters and digits, with apostrophes inside ("can't"); emoji and punctuation separate words.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ELONGATED = re.compile(r"(.)\1+$")  # "yesss", "nooo", "okkk"

# ── lead times and durations: "5 days", "2-3 weeks", "in a week", "5 business days", "48h" ──

_COUNT_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2,
    "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "diez": 10, "quince": 15,
    "واحد": 1, "اثنين": 2, "ثلاثه": 3, "اربعه": 4, "خمسه": 5,
}  # fmt: skip
_UNIT_DAYS = {
    "days": 1, "day": 1, "dias": 1, "dia": 1, "weeks": 7, "week": 7, "wks": 7, "wk": 7, "semanas": 7, "semana": 7,
    "months": 30, "month": 30, "mos": 30, "mo": 30, "meses": 30, "mes": 30, "years": 365, "year": 365, "yrs": 365,
    "yr": 365, "hours": 1 / 24, "hour": 1 / 24, "hrs": 1 / 24, "hr": 1 / 24, "horas": 1 / 24, "hora": 1 / 24,
    "d": 1, "w": 7, "h": 1 / 24,
    "ايام": 1, "يوم": 1, "يوما": 1, "اسبوع": 7, "اسابيع": 7, "شهر": 30, "اشهر": 30, "شهور": 30, "ساعه": 1 / 24,
    "ساعات": 1 / 24,
}  # fmt: skip
_SHORT_UNITS = frozenset({"d", "w", "h"})  # "5d", "2w", "48h": read only when no spelled-out unit is present
# Arabic's dual: one word for two of the unit ("استراحة أسبوعين", a two-week break).
_DUAL_DAYS = {"يومين": 2, "يومان": 2, "اسبوعين": 14, "اسبوعان": 14, "شهرين": 60, "شهران": 60}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# "in"/"within" belong to the span: left behind, "500 in" would read as 500 inches to find_quantity.
_SPAN_START = r"(?<![\w.,$#@/-])(?:(?:in|within)\s+(?:(?:about|around|approx|approximately|~)\s*)?)?"
_RANGE = r"(?:(?P<low>\d+(?:\.\d+)?)\s*(?:-|–|to|or)\s*)?"  # "2-3 weeks": the later end is the promise
_SPAN = re.compile(
    rf"{_SPAN_START}{_RANGE}(?:(?P<number>\d+(?:\.\d+)?)\s*|(?P<word>{_alternation(_COUNT_WORDS)})\s+)"
    rf"(?P<business>(?:business|working|biz|work)\s+)?"
    rf"(?P<unit>{_alternation(set(_UNIT_DAYS) - _SHORT_UNITS)})(?![^\W\d_])"
)
# No space allowed: in "500 w/ logo" the "w" is not weeks.
_SHORT_SPAN = re.compile(rf"{_SPAN_START}{_RANGE}(?P<number>\d+(?:\.\d+)?)(?P<unit>[dwh])(?![^\W\d_]|/)")
_DUAL = re.compile(rf"(?<![^\W_])(?:{_alternation(_DUAL_DAYS)})(?![^\W_])")
_NOT_DAYS_AFTER = re.compile(r"\s*-?\s*(?:print|model|scan|design|render|cad|art|file|modell?ing)")  # 3D printing
_BARE_DAYS = re.compile(r"(?<![\w.,$#@/-])(\d+)(?![\w.,]|\.\d)")  # "LATE 3", "pause 10"
_MAX_DATES = 8  # dates blanked out one by one before the quantity is read; more is noise

# ── money: "$2.10 each", "2.10/ea", "@ 1.5", "$500 total", "1000 dollars for all" ──

_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_MONEY = re.compile(
    r"(?<![\w.,$#/-])"
    r"(?:(?P<cur>\$|usd|us\$)\s*)?"
    rf"(?P<amount>{_AMOUNT})(?!\d|[.,]\d)"
    r"(?:\s*(?P<k>k)(?![^\W\d_]))?"
    # A "$" followed by a number is that number's, as in "1000 $1.20 each".
    r"(?:\s*(?P<after>\$(?!\s*\.?\d)|usd|dollars?|dolares|dolar|bucks|dlls?|دولار)(?![^\W\d_])"
    r"|\s*(?P<cents>cents?|¢)(?![^\W\d_])|(?P<c>c)(?![^\W\d_]))?"
)
_TIME_WORD = r"(?:day|week|month|hour|year|time)s?(?![^\W\d_])"  # "500 each week", "500 per day": not prices
_NOT_PER = rf"(?!(?:order|lot|batch|job|total|all)s?(?![^\W\d_])|{_TIME_WORD})"
_PER_UNIT_AFTER = re.compile(
    r"\s*(?:(?:each|ea|apiece|a\s+piece|a\s+unit|an\s+item|a\s+pop|cada(?:\s+un[oa])?|c/u)(?![^\W\d_])"
    rf"(?!\s+{_TIME_WORD})"
    rf"|(?:per|por)\s+{_NOT_PER}[^\W\d_]+|/\s*{_NOT_PER}[^\W\d_]+)"
)
_TOTAL_AFTER = re.compile(
    r"\s*(?:total|in\s+total|tot|all\s+in|all-in|altogether|all\s+together|flat"
    r"|for\s+(?:all|everything|it\s+all|the\s+(?:lot|whole|entire|order|batch|job|total))"
    r"|(?:per|/)\s*(?:order|lot|batch|job))(?![^\W\d_])"
)
_TOTAL_BEFORE = re.compile(
    r"(?:(?<![^\W\d_])(?:total|altogether|all\s+in|comes\s+to|for\s+a\s+total\s+of)"
    r"(?:\s+(?:price|cost|is|of|would\s+be|will\s+be))*\s*[:=-]?|=)\s*$"
)
_AT_BEFORE = re.compile(r"@\s*$")  # "300 @ 1.25": a price even without "$"
_QTY_FOR = re.compile(r"(?<![\w.,$])\d[\d,]*k?(?:\s+[^\W\d_]+)?\s+for\s+$")  # "500 masks for $1000": a total
_MEASURE_AFTER = re.compile(r"\s*(?:%|mm|cm|m|in|inch|inches|ft|feet|oz|lbs?|kg|g|ml|l|x|×|\"|'')(?![^\W\d_])")
_BARE_DECIMAL = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d{1,2}")  # "2.10" is a price; "1.000" is a European thousand
_CONTEXT = 40  # characters looked at around an amount for "each", "total", "@"

# ── what is left: phone numbers, sizes and stock notes, blanked before the quantity is read ──

_NOISE = re.compile(
    r"(?<![\w.])\(?\d{3}\)?[\s.-]?\d{3}[-.]\d{4}(?![\w.])"  # 313-555-0142
    r"|(?<![\w.])\d+(?:\.\d+)?\s*[x×*]\s*\d+(?:\.\d+)?(?:\s*[x×*]\s*\d+(?:\.\d+)?)?(?![\w.])"  # 12x18 signs
    r"|(?<![^\W\d_])in\s+stock(?![^\W\d_])"  # "500 in stock": not 500 inches
)
# Blanked spans become this character, not spaces: the text keeps its length (positions stay comparable) and
# no run of whitespace grows that a `\s*` in a later pattern could scan over and over.
_BLANK = "|"
_EDGES = " \t\r\n\f\v.,;:!?#-–—*•·\"'“”‘’()[]"
_PHRASE_EDGES = " \t\r\n\f\v.,;:!?-–—*•·\"'“”‘’"


def parse_reply(text: str, today: date | None = None) -> Reply:
    """What a maker's text message asks for. Never raises; unrecognised text is kind "unknown"."""
    original = (text or "").strip()
    low = fold_chars(original).translate(_ARABIC_PUNCTUATION)  # same length as `original`: spans cut both
    words = list(_WORD.finditer(low))
    if not words:
        return Reply("help" if "?" in low else "empty", text=original)
    code = _code_of(words[0].group())
    if code and len(words) == 1:
        return Reply("code", code=code, text=original)
    if code:
        # "K7Q2 YES 500": the code came first; the word after it decides.
        inner = _parse_words(original, low, words[1:], today)
        return replace(inner, code=inner.code or code) if inner.kind in _TAKES_CODE else inner
    return _parse_words(original, low, words, today)


def _parse_words(original: str, low: str, words: list[re.Match[str]], today: date | None) -> Reply:
    kind, used = _keyword([_normal(w.group()) for w in words[:2]])
    rest = low[words[used - 1].end() :]
    first = _normal(words[0].group())
    after = [_normal(w.group()) for w in words[used:] if not _code_of(w.group())]
    if kind == "stop" and first in ("cancel", "end", "baja") and len(words) > 1:
        # Only the bare word opts out: "End of the week works", "Cancel K7Q2, we can't make it".
        code = _take_code(rest)[0]
        return Reply("no", code=code, text=original) if first == "cancel" and code else Reply("unknown", text=original)
    if kind == "done" and not set(after) <= _DONE_FILLER:
        return Reply("unknown", text=original)  # "Done by Friday, don't worry" is a promise, not a delivery
    if kind == "resume" and first in ("back", "available") and not set(after) <= _RESUME_FILLER:
        return Reply("unknown", text=original)  # "back next week"
    if kind in ("no", "done"):
        return Reply(kind, code=_take_code(rest)[0], text=original)
    if kind == "yes":
        return _yes(rest, _today(today), original)
    if kind in ("late", "pause"):
        code, days = _duration(rest, _today(today))
        days = days or None  # "busy today": zero days is no duration
        if kind == "pause" and first != "pause" and after and days is None:
            return Reply("unknown", text=original)  # "Busy right now, I'll get back to you later"
        return Reply(kind, code=code if kind == "late" else None, days=days, text=original)
    if kind == "my":
        whole = len(words) <= _MY_MAX_WORDS and all(_normal(w.group()) in _MY_WORDS for w in words)
        return Reply("my" if whole else "unknown", text=original)
    if kind in LISTS:
        return _listing(kind, original, low, words)
    if kind == "lang":
        named = [LANGUAGE_NAMES.get(_normal(w.group())) for w in words[used:]]
        return Reply("lang", language=next((code for code in named if code), None), text=original)
    if kind == "alerts":
        switch = _ALERT_SWITCH.get(_normal(words[1].group())) if len(words) > 1 else None
        return Reply(switch or "help", text=original)  # plain "ALERTS": the help lists ALERTS ON / OFF
    return Reply(kind or "unknown", text=original)


def guess_language(text: str) -> str | None:
    """Arabic ("ar") or Spanish ("es") when a stranger's text is plainly in one; None when it may be English."""
    if _ARABIC_SCRIPT.search(text or ""):
        return "ar"
    raw = (text or "").casefold()
    if any(ch in raw for ch in "ñ¿¡áíóú"):
        return "es"
    words = {_normal(w.group()) for w in _WORD.finditer(fold_chars(text or ""))}
    return "es" if words & _SPANISH_WORDS else None


def opt_out_word(text: str) -> str | None:
    """The opt-out keyword a text opens with, folded ("stop", "parar"); None when it opens with another word."""
    first = next(_WORD.finditer(fold_chars(text or "")), None)
    word = _normal(first.group()) if first else ""
    return word if _FIRST_WORDS.get(word) == "stop" else None


def _today(today: date | None) -> date:
    return today if today is not None else date.today()


def _normal(word: str) -> str:
    return word.replace("'", "").replace("’", "")


def _keyword(first_two: list[str]) -> tuple[str | None, int]:
    """The kind named by the opening words, and how many words it took."""
    pair = tuple(first_two)
    if len(pair) == 2:
        squeezed = tuple(_ELONGATED.sub(r"\1", w) for w in pair)
        kind = _TWO_WORDS.get(pair) or _TWO_WORDS.get(squeezed)
        if kind:
            return kind, 2
    first = pair[0]
    return _FIRST_WORDS.get(first) or _FIRST_WORDS.get(_ELONGATED.sub(r"\1", first)), 1


def _code_of(word: str) -> str | None:
    return word.upper() if CODE_PATTERN.fullmatch(word) else None


# ── field extraction: each step takes what it reads out of the text, so later steps cannot misread it ──


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + _BLANK * (end - start) + text[end:]


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        text = _blank(text, start, end)
    return text


def _blank_matches(text: str, pattern: re.Pattern[str]) -> str:
    return _blank_spans(text, [match.span() for match in pattern.finditer(text)])


def _take_code(text: str) -> tuple[str | None, str]:
    """The first reply code, and the text with every code blanked (their digits are not quantities)."""
    found = _CODE_IN_TEXT.search(text)
    code = found.group(1).upper() if found else None
    return code, _blank_matches(text, _CODE_IN_TEXT)


def _yes(rest: str, today: date, original: str) -> Reply:
    work = re.sub(r"\s+", " ", rest)  # the fields need no positions in the original
    code, work = _take_code(work)
    lead, _named, work = _find_days(work, today)
    price, total, work = _take_money(work)
    return Reply(
        "yes",
        code=code,
        quantity=_quantity(work),
        price_cents=price,
        total_cents=total,
        lead_time_days=lead,
        text=original,
    )


def _duration(rest: str, today: date) -> tuple[str | None, int | None]:
    """LATE and PAUSE: the code if any, and how many days ("3", "2w", "a month", "until jan 5")."""
    work = re.sub(r"\s+", " ", rest)
    code, work = _take_code(work)
    days, found, work = _find_days(work, today)
    if not found:
        bare = _BARE_DAYS.search(work)
        if bare and len(bare.group(1)) <= len(str(MAX_DAYS)):
            days = _whole_days(int(bare.group(1)))
    return code, days


def _find_days(work: str, today: date) -> tuple[int | None, bool, str]:
    """Days until the first span or date named, whether one was named at all, and the text without them.

    A spelled-out span ("5 days") or a date ("by Friday") wins over an abbreviation ("5d", "2w"),
    which may be something else ("5w" LEDs), then the earliest wins.
    """
    found: list[tuple[int, int, int | None]] = []  # (rank, position, days)
    for match in _SPAN.finditer(work):
        found.append((0, match.start(), _span_days(match, today)))
    work = _blank_matches(work, _SPAN)
    shorts = [m for m in _SHORT_SPAN.finditer(work) if not _means_3d(work, m)]
    found.extend((1, m.start(), _span_days(m, today)) for m in shorts)
    work = _blank_spans(work, [m.span() for m in shorts])
    found.extend((0, m.start(), _DUAL_DAYS[m.group()]) for m in _DUAL.finditer(work))
    work = _blank_matches(work, _DUAL)
    for _ in range(_MAX_DATES):
        deadline = find_deadline(work, today)
        if deadline.day is None:
            break
        start, end = deadline.spans[-1]  # the date's span comes after any "asap" spans
        found.append((0, start, _whole_days((deadline.day - today).days)))
        work = _blank(work, start, end)
    if not found:
        return None, False, work
    return min(found, key=lambda item: item[:2])[2], True, work


def _means_3d(work: str, match: re.Match[str]) -> bool:
    return match.group("unit") == "d" and _NOT_DAYS_AFTER.match(work, match.end()) is not None


def _span_days(match: re.Match[str], today: date) -> int | None:
    groups = match.groupdict()
    count = float(groups["number"]) if groups["number"] else _COUNT_WORDS[groups["word"]]
    if groups["low"]:
        count = max(count, float(groups["low"]))
    per = _UNIT_DAYS[groups["unit"]]
    if groups.get("business") and per == 1:
        return _business_days(today, count)
    return _whole_days(count * per)


def _whole_days(value: float) -> int | None:
    # Part of a day still takes that day: "1.5 weeks" is promised for day 11, "36 hours" for day 2.
    return math.ceil(value) if 0 <= value <= MAX_DAYS else None


def _business_days(today: date, count: float) -> int | None:
    """Calendar days until `count` weekdays have passed: "5 business days" said on a Friday is 7."""
    if not 0 <= count <= MAX_DAYS:
        return None
    remaining, day = math.ceil(count), today
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return _whole_days((day - today).days)


def _take_money(work: str) -> tuple[int | None, int | None, str]:
    """The first per-unit price and the first total, in cents, and the text without any amount."""
    prices: list[int | None] = []
    totals: list[int | None] = []
    spans: list[tuple[int, int]] = []
    for match in _MONEY.finditer(work):
        kind = _money_kind(work, match)
        if kind is None:
            continue
        spans.append(match.span())
        if kind == "price":
            prices.append(_cents(match, MAX_PRICE_CENTS))
        else:
            totals.append(_cents(match, MAX_TOTAL_CENTS))
    work = _blank_spans(work, spans)
    return (prices[0] if prices else None), (totals[0] if totals else None), work


def _money_kind(work: str, match: re.Match[str]) -> str | None:
    """Whether the amount is a "price" (per unit), a "total", or None: no money at all."""
    before = work[max(0, match.start() - _CONTEXT) : match.start()]
    after = work[match.end() : match.end() + _CONTEXT]
    currency = match["cur"] or match["after"] or match["cents"] or match["c"]
    per_unit = _PER_UNIT_AFTER.match(after) is not None or _AT_BEFORE.search(before) is not None
    bare_decimal = not match["k"] and _BARE_DECIMAL.fullmatch(match["amount"]) is not None
    if not (currency or per_unit or bare_decimal):
        return None  # "500", "5k": a quantity
    if per_unit:
        return "price"
    if _TOTAL_AFTER.match(after) or _TOTAL_BEFORE.search(before) or (currency and _QTY_FOR.search(before)):
        return "total"
    if not currency and _MEASURE_AFTER.match(after):
        return None  # "1.5 mm", "2.5 x 3"
    return "price"


def _cents(match: re.Match[str], limit: int) -> int | None:
    amount = Decimal(match["amount"].replace(",", ""))
    if match["k"]:
        amount *= 1000
    if not (match["cents"] or match["c"]):
        amount *= 100
    if not 0 <= amount <= limit:  # checked before rounding: quantize fails on numbers beyond its precision
        return None
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _quantity(work: str) -> int | None:
    work = _blank_matches(work, _NOISE)
    found = find_quantity(work, lambda _following: False)
    if found is None or found.value >= MAX_QUANTITY:
        return None
    start, end = found.span
    if found.value == 1 and not any(ch.isdigit() for ch in work[start:end]):
        return None  # "yes, one question": a spelled "one" is rarely the count
    return found.value


# ── CAPS, GREEN, TEACH ──


def _listing(kind: str, original: str, low: str, words: list[re.Match[str]]) -> Reply:
    action = _LIST_ACTIONS.get(_normal(words[1].group())) if len(words) > 1 else None
    if action is None:
        return Reply(kind, text=original)  # "CAPS", "CAPS LIST", "GREEN what?": show the list and how to edit it
    action = f"{kind}_{action}"
    start = words[1].end()
    if action.endswith("_remove"):
        argument = low[start:].strip(_EDGES)
        if argument.isascii() and argument.isdigit():
            number = int(argument) if len(argument) <= 6 else None
            if number is not None and not 1 <= number <= MAX_CAPABILITY_NUMBER:
                number = None
            return Reply(action, number=number, text=original)
    return Reply(action, phrases=split_phrases(original[start:]), text=original)


def split_phrases(text: str) -> tuple[str, ...]:
    """Items split on ";", "," or new lines, trimmed, empties and repeats dropped, in the maker's spelling."""
    out: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[;,\n\r؛،]", text):  # and the Arabic semicolon and comma
        phrase = part.strip().strip(_PHRASE_EDGES).strip()
        if phrase and phrase.casefold() not in seen:
            seen.add(phrase.casefold())
            out.append(phrase)
    return tuple(out)
