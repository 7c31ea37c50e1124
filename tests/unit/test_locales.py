"""Translations: every translated sentence exists in English and takes the same fields."""

from __future__ import annotations

import string

import pytest

from bot import texts
from bot.locales import _TABLES, LANGUAGES, catalogue


def _fields(template) -> set[str]:
    if isinstance(template, dict):
        return set().union(*(_fields(v) for v in template.values()))
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(_TABLES))
def test_translations_match_the_english_sentences(language):
    for name, translated in _TABLES[language].items():
        assert hasattr(texts, name), f"{language}: {name} is not a sentence in bot/texts.py"
        assert _fields(translated) == _fields(getattr(texts, name)), f"{language}: {name} takes other fields"


def test_every_offered_language_has_a_catalogue_and_unknown_ones_fall_back_to_english():
    assert set(LANGUAGES) == {"en", *_TABLES}
    assert catalogue("es-MX").BUYER_SENT_TOAST == "¡Enviado!"
    assert catalogue("fr").BUYER_SENT_TOAST == texts.BUYER_SENT_TOAST
    assert catalogue(None).SMS_HELP == texts.SMS_HELP  # untranslated sentences fall back
