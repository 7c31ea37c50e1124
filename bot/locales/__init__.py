"""What buyers read, in their language: each catalogue translates sentences of bot/texts.py by name, and any
sentence it lacks falls back to English."""

from __future__ import annotations

from types import MappingProxyType

from bot import texts
from bot.locales import es

LANGUAGES = {"en": "English", "es": "Español"}
_TABLES = MappingProxyType({"es": es.TEXTS})


class Catalogue:
    """texts.X in one language: `catalogue("es").BUYER_WELCOME`."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"
        self._table = _TABLES.get(self.language, {})

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._table:
            return self._table[name]
        return getattr(texts, name)


def catalogue(language: str | None) -> Catalogue:
    return Catalogue((language or "en").split("-")[0].lower())
