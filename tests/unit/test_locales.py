"""Translations: every text a buyer or maker reads exists in every language, with the same fields, and plural
texts carry all of the language's forms (CLDR's rules, as Babel writes them into each catalogue's header)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot import texts
from bot.locales import LANGUAGES, SOURCE_LANGUAGE, catalogue, is_reader_text, reader_texts
from bot.locales.extract import FOLDER, TEMPLATE, template

TRANSLATED = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})
BOT = Path(texts.__file__).parent


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def _catalog(language: str) -> Catalog:
    with (FOLDER / f"{language}.po").open("rb") as po:
        return read_po(po, locale=language)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def test_the_languages_are_english_spanish_and_arabic_at_least():
    assert {"en", "es", "ar"} <= set(LANGUAGES)
    assert LANGUAGES["es"] == "Español" and LANGUAGES["ar"] == "العربية"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_reader_text_is_translated_with_the_same_fields(language):
    catalog = _catalog(language)
    problems = []
    for wanted in _entries(template()):
        found = catalog.get(wanted.id, context=wanted.context)
        where = f"{language}: {wanted.context}"
        if found is None or found.fuzzy:
            problems.append(f"{where} is missing" + (" (marked fuzzy: review it)" if found else ""))
            continue
        if isinstance(wanted.id, tuple):
            english = _fields(wanted.id[0]) | _fields(wanted.id[1])
            forms = found.string if isinstance(found.string, tuple) else (found.string,)
            if len(forms) != catalog.num_plurals or not all(forms):
                problems.append(f"{where} needs all {catalog.num_plurals} plural forms, has {sum(map(bool, forms))}")
                continue
            count = getattr(texts, wanted.context).count
            for form in forms:
                # A form may leave the number out ("يومان", two days); every other field it must keep.
                if not english - {count} <= _fields(form) <= english:
                    problems.append(f"{where} form “{form}” takes other fields than {sorted(english)}")
        elif not found.string:
            problems.append(f"{where} is not translated")
        elif _fields(found.string) != _fields(wanted.id):
            problems.append(f"{where} takes {sorted(_fields(found.string))}, English {sorted(_fields(wanted.id))}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogues_hold_nothing_but_the_reader_texts(language):
    wanted = {(m.context, m.id) for m in _entries(template())}
    extra = [m.context for m in _entries(_catalog(language)) if (m.context, m.id) not in wanted]
    assert not extra, f"{language}.po has entries bot/texts.py does not (run python -m bot.locales.extract): {extra}"


def test_messages_pot_is_up_to_date():
    with TEMPLATE.open("rb") as pot:
        stored = {(m.context, m.id) for m in _entries(read_po(pot))}
    assert stored == {(m.context, m.id) for m in _entries(template())}, "run python -m bot.locales.extract"


def test_every_text_read_through_a_catalogue_is_a_reader_text():
    """`t.NAME` of a text the catalogues leave out would silently stay English."""
    used = set()
    for path in BOT.rglob("*.py"):
        used |= set(re.findall(r"\b(?:t|self\.t|mt)\.([A-Z][A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    assert used, "the pattern found nothing: the test is broken"
    assert sorted(name for name in used if not is_reader_text(name)) == []


def test_reader_texts_leave_the_organisers_texts_in_english():
    names = set(reader_texts())
    assert {"SMS_INVITATION", "BUYER_WELCOME", "DAYS", "REQUEST_STATUS", "SMS_JOB_STATE"} <= names
    assert not {"ADMIN_BC_PREVIEW", "BROADCAST_PREVIEW", "CONSOLE_OFF", "ROW_NO_NAME", "SKIP_REASONS"} & names


def test_unknown_languages_and_untranslated_texts_fall_back_to_english():
    assert catalogue("es-MX").BUYER_SENT_TOAST == "¡Enviado!"
    assert catalogue("fr").BUYER_SENT_TOAST == texts.BUYER_SENT_TOAST
    assert catalogue(None).SMS_HELP == texts.SMS_HELP
    assert catalogue("es").ADMIN_BC_CANCELLED == texts.ADMIN_BC_CANCELLED  # organisers' texts stay English


def test_plural_texts_follow_each_languages_rules():
    assert [texts.days_text(n) for n in (1, 2)] == ["1 day", "2 days"]
    es = catalogue("es")
    assert [texts.days_text(n, es) for n in (1, 5)] == ["1 día", "5 días"]
    ar = catalogue("ar")
    # Arabic: zero, one, two, few (3-10), many (11-99), other (100…) are six different forms.
    assert len({texts.days_text(n, ar) for n in (0, 1, 2, 3, 11, 100)}) == 6
    assert catalogue("en").BUYER_SENT.format(count=1, radius=25.0, code="K7Q2").startswith("Sent to 1 maker within")


def test_dates_are_written_the_languages_way():
    from datetime import date

    day = date(2026, 12, 4)
    assert catalogue("en").short_date(day, weekday=True) == "Fri Dec 4"
    assert catalogue("es").short_date(day) == "4 dic"
    assert catalogue("es").short_date(day, weekday=True) == "vie, 4 dic"
    assert "ديسمبر" in catalogue("ar").short_date(day)
