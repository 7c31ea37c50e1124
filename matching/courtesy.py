"""Please and thank-you words in the languages buyers write in: they frame a request and are never part of it.

The parser keeps them out of the item and does not let them turn a ZIP into a count ("near 48201 gracias").
"""

from __future__ import annotations

from collections.abc import Sequence

from matching.text import tokens

# Words that ask politely; they come before or after the request ("please near 48201", "caretas por favor").
PLEASE = [
    "please", "pls", "plz", "plse", "pleas", "kindly",
    "por favor", "porfa", "porfavor", "xfa",
    "s'il vous plaît", "s'il vous plait", "s'il te plaît", "svp", "stp",
    "bitte", "bitte schön",
    "per favore", "per piacere", "perfavore",
    "se possível", "faz favor",
    "alsjeblieft", "alstublieft", "aub",
    "proszę", "prosze",
    "пожалуйста",
    "lütfen",
    "من فضلك", "من فضلكم", "لو سمحت", "لو سمحتم", "رجاء", "الرجاء", "ارجوك", "ارجوكم",
    "कृपया",
    "vui lòng", "làm ơn",
]  # fmt: skip

# Words that close a message; they come after the request ("face shields, thank you 🙏").
THANKS = [
    "thanks", "thank you", "thank u", "thanks a lot", "thanks a million", "a million thanks", "thanks so much",
    "thank you so much", "thank you very much", "many thanks", "thanks in advance", "thank you in advance",
    "thx", "ty", "tks", "tnx", "much appreciated",
    "cheers", "regards", "best regards", "kind regards", "god bless",
    "gracias", "muchas gracias", "mil gracias", "gracias de antemano", "saludos", "un saludo",
    "merci", "merci beaucoup", "merci d'avance", "cordialement",
    "danke", "danke schön", "danke sehr", "vielen dank", "besten dank", "mit freundlichen grüßen",
    "grazie", "grazie mille", "grazie in anticipo",
    "obrigado", "obrigada", "muito obrigado", "muito obrigada", "valeu",
    "dank je", "dank u", "dank je wel", "dank u wel", "bedankt",
    "dziękuję", "dziekuje", "dzięki",
    "спасибо", "дякую",
    "teşekkürler", "teşekkür ederim", "sağol",
    "شكرا", "شكرا جزيلا", "شكرا لك", "شكرا لكم", "مشكور", "مشكورين", "جزاك الله خيرا", "جزاكم الله خيرا",
    "धन्यवाद", "शुक्रिया",
    "cảm ơn", "salamat", "asante", "terima kasih",
]  # fmt: skip


def _keys(phrases: list[str]) -> tuple[tuple[str, ...], ...]:
    keyed = {tuple(tokens(p)) for p in phrases}
    return tuple(sorted((k for k in keyed if k), key=len, reverse=True))


_PLEASE_KEYS = _keys(PLEASE)
_ALL_KEYS = _keys(PLEASE + THANKS)
_ALL_SET = frozenset(_ALL_KEYS)
_MAX_LEN = max(len(k) for k in _ALL_KEYS)


def phrases_in(words: Sequence[str]) -> list[tuple[int, int]]:
    """The courtesy phrases among `words`, left to right, as [start, end) ranges of word indexes."""
    toks: list[str] = []
    word_of: list[int] = []
    for index, word in enumerate(words):
        for tok in tokens(word):
            toks.append(tok)
            word_of.append(index)
    found = []
    position = 0
    while position < len(toks):
        length = courtesy_at(toks, position)
        if length:
            found.append((word_of[position], word_of[position + length - 1] + 1))
            position += length
        else:
            position += 1
    return found


def courtesy_at(toks: Sequence[str], start: int = 0) -> int:
    """How many tokens from `start` are a courtesy phrase (the longest one), or 0."""
    for length in range(min(_MAX_LEN, len(toks) - start), 0, -1):
        if tuple(toks[start : start + length]) in _ALL_SET:
            return length
    return 0


def please_phrases() -> tuple[tuple[str, ...], ...]:
    """Token keys of the asking words, which may open a request as well as close it."""
    return _PLEASE_KEYS


def all_phrases() -> tuple[tuple[str, ...], ...]:
    """Token keys of every courtesy phrase, longest first."""
    return _ALL_KEYS


def words() -> frozenset[str]:
    """Every token of every courtesy phrase."""
    return frozenset(tok for key in _ALL_KEYS for tok in key)
