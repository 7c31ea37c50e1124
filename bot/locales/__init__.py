"""What buyers read, in their language: each catalogue translates sentences of bot/texts.py by name, and any
sentence it lacks falls back to English."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot import texts
from bot.locales import es

LANGUAGES = {"en": "English", "es": "Español"}
_TABLES: Mapping[str, Mapping[str, Any]] = MappingProxyType({"es": es.TEXTS})


class Catalogue:
    """texts.X in one language: `catalogue("es").BUYER_WELCOME`."""

    # Every name is a sentence, but for these tables.
    REQUEST_STATUS: Mapping[str, str]
    DAYS: Mapping[int, str]
    MAKER_TYPES: Mapping[str, str]

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self._table = _TABLES.get(self.language, {})

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._table:
            return self._table[name]
        return getattr(texts, name)


def catalogue(language: str | None) -> Catalogue:
    return Catalogue((language or "en").split("-")[0].lower())
