"""Deadlines in buyers' words: "by Friday", "before Dec 10", "by 4/15", "within 2 weeks", "asap", "no rush".

Works on text folded by `matching.text.fold_chars`. Every date is resolved against a reference day
(the day the request arrived); a date without a year is the next one on or after that day.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from matching.quantities import word_numbers
from matching.text import fold

ASAP = "asap"
NO_RUSH = "no_rush"

_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "thursday": 3, "thu": 3,
    "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6,
    "الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6,
}
_SHORT_WEEKDAYS = {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7, "اغسطس": 8,
    "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
}
_SPANS = {
    "day": 1, "days": 1, "business day": 1, "business days": 1, "dia": 1, "dias": 1, "يوم": 1, "ايام": 1,
    "week": 7, "weeks": 7, "wk": 7, "wks": 7, "semana": 7, "semanas": 7, "اسبوع": 7, "اسابيع": 7,
    "month": 30, "months": 30, "mes": 30, "meses": 30, "شهر": 30, "اشهر": 30, "شهور": 30,
}
# Arabic duals carry the "two": أسبوعين = two weeks.
_DUALS = {"يومين": 2, "اسبوعين": 14, "شهرين": 60}
_WEEKDAYS, _MONTHS, _SPANS, _DUALS = (
    {fold(word): value for word, value in table.items()} for table in (_WEEKDAYS, _MONTHS, _SPANS, _DUALS)
)


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# Words that may precede a date ("due by", "para el"). Repeated possessively and at most four times:
# alternatives like "due" / "due by" overlap, and a backtracking repeat would take exponential time.
_LEAD = (
    r"(?:(?:by|before|until|till|til|no later than|due by|due|deadline|needed by|need by|for|on|this|next|"
    r"para el|para|antes del|antes de|antes|el|hasta el|hasta|a mas tardar el|بحلول|قبل|حتى|يوم|في)\s+){0,4}+"
)
_WEEKDAY = re.compile(rf"(?<!\w){_LEAD}({_alternation(_WEEKDAYS)})(?!\w)")
_MONTH = _alternation(_MONTHS)
_MONTH_DAY = re.compile(
    rf"(?<!\w){_LEAD}(?:({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(\d{{4}}))?"
    rf"|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?({_MONTH})\.?(?:,?\s+(?:de\s+)?(\d{{4}}))?)(?!\w)"
)
_NUMERIC = re.compile(rf"(?<![\w/.-]){_LEAD}(\d{{1,2}})/(\d{{1,2}})(?:/(\d{{2}}|\d{{4}}))?(?![\w/])")
_ISO = re.compile(rf"(?<![\w-]){_LEAD}(\d{{4}})-(\d{{2}})-(\d{{2}})(?![\w-])")
_RELATIVE = re.compile(
    r"(?<!\w)(?:within|in|in the next|inside|under|en|dentro de|en los proximos|en las proximas|خلال|في غضون|في خلال|في)"
    rf"\s+(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|un|una|dos|tres|cuatro|cinco|seis|diez|quince)"
    rf"\s+({_alternation(_SPANS)})(?!\w)"
)
_MAX_DAYS_AHEAD = 3660  # a deadline more than ten years out is not one
_ORDINAL_DAY = re.compile(r"(?<!\w)(?:by|before|until|till|on|due)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?!\w)")
_DUAL = re.compile(rf"(?<!\w)(?:within|خلال|في غضون|في خلال|في)?\s*({_alternation(_DUALS)})(?!\w)")
_SMALL = {"a": 1, "an": 1, "un": 1, "una": 1}
_NAMED = [
    (re.compile(r"(?<!\w)(?:by |before |until )?(?:the )?day after tomorrow(?!\w)|(?<!\w)pasado manana(?!\w)"), 2),
    (re.compile(r"(?<!\w)(?:by |before |until |para )?(?:tomorrow|tmrw|manana|غدا|بكره)(?!\w)"), 1),
    (re.compile(r"(?<!\w)(?:by |before |until |para )?(?:today|tonight|end of day|eod|hoy|esta noche|اليوم|الليله)(?!\w)"), 0),
    (re.compile(r"(?<!\w)(?:by |before |within |in |para |en )?(?:the )?(?:next week|la proxima semana|la semana que viene|الاسبوع القادم|الاسبوع المقبل)(?!\w)"), 7),
    (re.compile(r"(?<!\w)(?:by |before |within |in |para |en )?(?:the )?(?:next month|el proximo mes|el mes que viene|الشهر القادم|الشهر المقبل)(?!\w)"), 30),
]
_END_OF_WEEK = re.compile(r"(?<!\w)(?:by |before )?(?:the )?(?:end of (?:the |this )?week|this week|fin de semana|esta semana|نهايه الاسبوع|هذا الاسبوع)(?!\w)")
_END_OF_MONTH = re.compile(r"(?<!\w)(?:by |before )?(?:the )?(?:end of (?:the |this )?month|this month|fin de mes|este mes|نهايه الشهر|هذا الشهر)(?!\w)")
_ASAP = re.compile(
    r"(?<!\w)(?:asap|a\.s\.a\.p\.?|as soon as possible|urgent(?:ly)?|immediately|right away|yesterday|"
    r"emergency|stat|lo antes posible|cuanto antes|urgente(?:mente)?|de inmediato|lo mas pronto posible|"
    r"عاجل|عاجلا|فورا|في اسرع وقت(?: ممكن)?|باسرع وقت(?: ممكن)?|ضروري)(?!\w)"
)
_NO_RUSH = re.compile(
    r"(?<!\w)(?:no rush|no hurry|not urgent|whenever|no deadline|flexible (?:deadline|timing|dates?)|any time|anytime|"
    r"sin prisa|no es urgente|sin apuro|sin urgencia|cuando (?:se )?pueda|غير مستعجل|لا عجله|ليس عاجلا|بدون استعجال)(?!\w)"
)


@dataclass(frozen=True)
class Deadline:
    day: date | None
    urgency: str | None
    spans: tuple[tuple[int, int], ...]


def _next_on_or_after(today: date, month: int, day: int, year: int | None) -> date | None:
    if year is not None:
        if year < 100:
            year += 2000
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _next_day_of_month(today: date, day_of_month: int) -> date | None:
    """"by the 15th": the next 15th on or after today."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, day_of_month)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _weekday(today: date, weekday: int) -> date:
    # "by Friday" said on a Friday means next week's Friday: nobody asks for same-day delivery that way.
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word in _SMALL:
        return _SMALL[word]
    spelled = word_numbers(word)
    return spelled[0][2] if spelled else None


def find_deadline(low: str, today: date) -> Deadline:
    """The first deadline named in the folded text, and how urgent the buyer says it is."""
    spans: list[tuple[int, int]] = []
    urgency = None
    for pattern, label in ((_ASAP, ASAP), (_NO_RUSH, NO_RUSH)):
        found = pattern.search(low)
        if found:
            urgency = urgency or label
            spans.append(found.span())

    hits: list[tuple[int, int, date]] = []
    for found in _ISO.finditer(low):
        day = _next_on_or_after(today, int(found.group(2)), int(found.group(3)), int(found.group(1)))
        if day:
            hits.append((found.start(), found.end(), day))
    for found in _NUMERIC.finditer(low):
        first, second = int(found.group(1)), int(found.group(2))
        month, day_of_month = (first, second) if first <= 12 else (second, first)  # US order unless impossible
        year = int(found.group(3)) if found.group(3) else None
        day = _next_on_or_after(today, month, day_of_month, year)
        if day:
            hits.append((found.start(), found.end(), day))
    for found in _MONTH_DAY.finditer(low):
        if found.group(1):
            month, day_of_month, year_text = _MONTHS[found.group(1)], int(found.group(2)), found.group(3)
        else:
            month, day_of_month, year_text = _MONTHS[found.group(5)], int(found.group(4)), found.group(6)
        day = _next_on_or_after(today, month, day_of_month, int(year_text) if year_text else None)
        if day:
            hits.append((found.start(), found.end(), day))
    for found in _WEEKDAY.finditer(low):
        name = found.group(1)
        if name in _SHORT_WEEKDAYS and found.start(1) == found.start():
            continue  # "sun", "sat", "wed" alone are too often ordinary words
        hits.append((found.start(), found.end(), _weekday(today, _WEEKDAYS[name])))
    for found in _RELATIVE.finditer(low):
        count = _count(found.group(1))
        if count and count * _SPANS[found.group(2)] <= _MAX_DAYS_AHEAD:
            hits.append((found.start(), found.end(), today + timedelta(days=count * _SPANS[found.group(2)])))
    for found in _ORDINAL_DAY.finditer(low):
        day = _next_day_of_month(today, int(found.group(1)))
        if day:
            hits.append((found.start(), found.end(), day))
    for found in _DUAL.finditer(low):
        hits.append((found.start(), found.end(), today + timedelta(days=_DUALS[found.group(1)])))
    for pattern, days in _NAMED:
        for found in pattern.finditer(low):
            hits.append((found.start(), found.end(), today + timedelta(days=days)))
    for found in _END_OF_WEEK.finditer(low):
        ahead = (4 - today.weekday()) % 7
        hits.append((found.start(), found.end(), today + timedelta(days=ahead)))
    for found in _END_OF_MONTH.finditer(low):
        last = calendar.monthrange(today.year, today.month)[1]
        hits.append((found.start(), found.end(), today.replace(day=last)))

    day = None
    if hits:
        hits.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        start, end, day = hits[0]
        spans.append((start, end))
    return Deadline(day, urgency, tuple(spans))
