"""What buyers and makers read, in their language.

bot/texts.py is the English source. Each language is a gettext catalogue beside this file (`es.po`, `ar.po`):
one entry per text, its name as the context (`msgctxt "BUYER_WELCOME"`, `msgctxt "REQUEST_STATUS.open"` for a
table's row), the English sentence as the msgid, so a sentence changed in English falls back to English until
it is translated again. Plural sentences (texts.Plural) carry all of the language's forms, chosen by the CLDR
plural rules Babel writes into the catalogue's header. `python -m bot.locales.extract` regenerates
messages.pot and updates every catalogue; a new language is a new `xx.po` (docs/translating.md).

What only organisers read (the CLI, the console, the organisers' chat, import reports) stays English.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import texts
from bot.texts import Plural

SOURCE_LANGUAGE = "en"
# The texts a buyer or a maker reads, by the start of their names in bot/texts.py; the rest is for organisers.
READER_PREFIXES = ("BUYER_", "BUTTON_", "SMS_", "TERMS_", "MILES", "DAYS", "WHEN_", "PREFERENCE_", "PICTURE_")
READER_TABLES = ("MAKER_TYPES", "REQUEST_STATUS")  # SMS_JOB_STATE is one too, by its prefix
# Named BUYER_ but read by organisers only.
NOT_READERS = frozenset({"BUYER_NO_HANDLE"})


def is_reader_text(name: str) -> bool:
    """Whether the text `name` of bot/texts.py is one a buyer or maker reads, so every catalogue has it."""
    if name in NOT_READERS or not name.isupper() or name.startswith("_"):
        return False
    value = getattr(texts, name, None)
    if not isinstance(value, (str, Plural, Mapping)):
        return False
    return name in READER_TABLES or name.startswith(READER_PREFIXES)


def reader_texts() -> dict[str, str | Plural | Mapping[Any, Any]]:
    """Every text a buyer or maker reads, by name, in English."""
    return {name: getattr(texts, name) for name in vars(texts) if is_reader_text(name)}


def _folder() -> Any:
    return resources.files(__name__)


def _language_codes() -> tuple[str, ...]:
    found = sorted(p.name[:-3] for p in _folder().iterdir() if p.name.endswith(".po"))
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


def _native_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def english_name(code: str) -> str:
    """“Spanish”, “Arabic”: a language's name for the organisers, who read English."""
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


# Every language with a catalogue, by its code, named in itself: {"en": "English", "es": "Español", …}.
LANGUAGES: Mapping[str, str] = MappingProxyType({code: _native_name(code) for code in _language_codes()})


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalogue, compiled in memory (no .mo files to keep in step); English has none."""
    path = _folder().joinpath(f"{language}.po")
    if language == SOURCE_LANGUAGE or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries (not yet reviewed) are left out: English shows instead
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class TranslatedPlural:
    """A texts.Plural in one language: `format` picks the form for the count by the language's rules."""

    english: Plural
    name: str
    language: str

    def format(self, **fields: Any) -> str:
        n = fields[self.english.count]
        form = translations(self.language).npgettext(self.name, self.english.one, self.english.other, n)
        return form.format(**fields)


@cache
def _translated(language: str, name: str) -> Any:
    english = getattr(texts, name)
    if language == SOURCE_LANGUAGE or not is_reader_text(name):
        return english
    found = translations(language)
    if isinstance(english, Plural):
        return TranslatedPlural(english, name, language)
    if isinstance(english, Mapping):
        return MappingProxyType(
            {
                key: found.pgettext(f"{name}.{key}", value) if isinstance(value, str) else value
                for key, value in english.items()
            }
        )
    return found.pgettext(name, english)


class Catalogue:
    """texts.X in one language: `catalogue("es").BUYER_WELCOME`; what a language lacks is English."""

    # Every name is a sentence, but for these tables.
    REQUEST_STATUS: Mapping[str, str]
    MAKER_TYPES: Mapping[str, str]
    SMS_JOB_STATE: Mapping[str, str]

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else SOURCE_LANGUAGE

    def short_date(self, day: date, weekday: bool = False) -> str:
        """“Dec 4” (“Fri Dec 4” with the weekday) in English; “4 dic”, “٤ ديسمبر” in the others, by CLDR."""
        if self.language == SOURCE_LANGUAGE:
            return f"{day:%a %b} {day.day}" if weekday else f"{day:%b} {day.day}"
        return format_skeleton("MMMEd" if weekday else "MMMd", day, locale=self.language)

    def text(self, name: str) -> str:
        """The text by its name in bot/texts.py, as `getattr` would give it."""
        return cast(str, _translated(self.language, name))  # a Plural formats like a str

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.text(name)


@lru_cache(maxsize=512)
def language_of(code: str | None) -> str:
    """The catalogue language for a code such as "es-MX" or "AR": its own, or English when there is none."""
    language = (code or SOURCE_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def catalogue(language: str | None) -> Catalogue:
    return Catalogue(language_of(language))
