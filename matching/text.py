"""Text normalisation shared by the parser, the taxonomy and the index.

Both sides of every comparison (a buyer's words, a maker's capability, a taxonomy alias) go through
the same functions, so "Face-Shields!!" and "face shield" meet as the same tokens.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ـ": None,  # tatweel, a purely typographic stretch
    }
)
# Latin letters with a stroke rather than an accent: Unicode gives them no plain letter to fall back on, and buyers
# type "stoly" for "stoły" as often as not (Polish, Croatian, Vietnamese, Danish and Norwegian).
_STROKED_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O"})
# Arabic-Indic and Persian digits; NFKC leaves them alone.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال")
# Zero-width (non-)joiners sit inside words in Arabic-script and Indic text; they never end a word.
_JOINERS = "\u200c\u200d"
# Singular forms whose plural ends in -ies but which keep the "ie" (bootie → booties).
_IE_WORDS = frozenset({"bootie", "hoodie", "cookie", "movie", "tie", "pie", "lie"})
_KEEP_S = ("ss", "us", "is")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _marks_are_accents(base: str) -> bool:
    # Latin, Greek, Cyrillic and Arabic marks are accents or vowel signs people often omit; in kana,
    # Devanagari and others they change the letter (ド is not ト), so they stay.
    code = ord(base)
    return code < 0x0530 or 0x0600 <= code <= 0x06FF


def _mark_ranges() -> str:
    """The combining marks of the Basic Multilingual Plane that \\w leaves out, as a regex class body."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code))[0] == "M" and not chr(code).isalnum():  # \w has the others
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


# A letter of a word in any script, for the parser's regexes: Python's \w leaves out the vowel signs of
# Arabic ("قِناع"), Hindi and Thai and the accents of decomposed Latin ("máscaras" typed as a + ◌́), and
# a word cut at them no longer matches the taxonomy. The class takes digits; callers exclude what they must.
WORD_CHAR = rf"(?:[^\W_]|[{_mark_ranges()}{_JOINERS}])"


def strip_marks(text: str) -> str:
    """Drop accents and Arabic vowel marks: "Máscaras" → "Mascaras"."""
    if text.isascii():
        return text  # no marks to drop; most capability phrases take this path
    out: list[str] = []
    base = " "
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn":
            if _marks_are_accents(base):
                continue
        else:
            base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def fold(text: str) -> str:
    """Case-fold, unify scripts' variant letters and digits, and drop accents; keeps punctuation."""
    if text.isascii():
        return text.lower()  # what the steps below give for ASCII, at a fraction of the cost
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_DIGITS).translate(_ARABIC_LETTERS).translate(_STROKED_LETTERS)
    return strip_marks(text).casefold()


def strip_urls(text: str) -> str:
    lowered = text.lower()
    if "http" not in lowered and "www." not in lowered:
        return text  # most texts: no search needed
    return _URL.sub(" ", text)


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


# "3-D printed", "3 d printing": one word, as "3D" is.
_THREE_D = re.compile(r"\b3(?:-d\b|\s+d(?=[\s-]*(?:print|model|scan|design|render)))")


def words(text: str) -> list[str]:
    """Folded words of a text: letters and digits only; everything else (emoji, punctuation, hyphens) splits."""
    lowered = text.lower()
    # Most phrases are ASCII with no web address: for them folding is lowering, done once instead of twice.
    plain = text.isascii() and "http" not in lowered and "www." not in lowered
    folded = lowered if plain else fold(strip_urls(text))
    if "3" in folded:
        folded = _THREE_D.sub("3d", folded)
    if folded.isascii():
        return _ASCII_WORD.findall(folded.replace("'", ""))
    out: list[str] = []
    current: list[str] = []
    for ch in folded:
        if ch.isalnum() or (current and unicodedata.category(ch)[0] == "M"):
            current.append(ch)  # vowel signs inside Devanagari, Thai… words belong to the word
        elif ch == "'" or ch == "’" or ch in _JOINERS:
            continue  # "n95's" → "n95s", "doctor's" → "doctors"; a joiner only shapes the letters
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def stem(word: str) -> str:
    """A deliberately small English/Arabic stemmer: plurals and the Arabic article.

    It only has to map a word and its plural to the same token, consistently on both sides.
    """
    known = _STEMS.get(word)
    if known is None:
        known = _stem(word)
        if len(_STEMS) < 200_000:  # a directory's vocabulary repeats; bound the memory anyway
            _STEMS[word] = known
    return known


_STEMS: dict[str, str] = {}


def _stem(word: str) -> str:
    if not word:
        return word
    if word.isascii():
        if len(word) < 4 or not word.endswith("s") or word.endswith(_KEEP_S):
            return word
        if word.endswith("ies") and len(word) > 4:
            base = word[:-3]
            return base + "ie" if base + "ie" in _IE_WORDS else base + "y"
        if word.endswith(("xes", "ches", "shes", "sses", "zes")):
            return word[:-2]
        return word[:-1]
    if "\u0600" <= word[0] <= "\u06ff":
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                return word[len(prefix) :]
    return word


def written_words(text: str) -> list[tuple[str, str]] | None:
    """For a plain ASCII text, each word as `words` finds it with what stands before it ("bike bags, tees" →
    ("bike", ""), ("bags", " "), ("tees", ", ")); one per token of `tokens`. None for other texts."""
    lowered = text.lower()
    if not text.isascii() or "http" in lowered or "www." in lowered:
        return None
    if "3" in lowered:
        lowered = _THREE_D.sub("3d", lowered)
    lowered = lowered.replace("'", "")
    out: list[tuple[str, str]] = []
    end = 0
    for found in _ASCII_WORD.finditer(lowered):
        out.append((found.group(), lowered[end : found.start()]))
        end = found.end()
    return out


def is_singular(word: str) -> bool:
    """Whether an English word is written in the singular, as a noun describing the next one is ("bike bags",
    "shirt boxes"); a plural before another noun is more often a list ("cabinets countertops")."""
    return word.isalpha() and (not word.endswith("s") or word.endswith(("ss", "us", "is")))


def tokens(text: str) -> list[str]:
    """Normalised, stemmed tokens: the unit every matcher in this package compares."""
    known = _STEMS.get
    return [s if (s := known(w)) is not None else stem(w) for w in words(text)]


def norm(text: str) -> str:
    """Tokens joined by single spaces: a canonical key for a phrase."""
    return " ".join(tokens(text))


def fold_chars(text: str) -> str:
    """Like `fold`, but character by character, so the result has exactly the length of `text`.

    The parser finds quantities and dates in this folded copy and cuts the same spans out of the
    original, so the item keeps the buyer's own spelling.
    """
    if text.isascii():
        return text.lower()  # what the loop below gives for ASCII
    out: list[str] = []
    for ch in text:
        mapped = ch.translate(_DIGITS).translate(_ARABIC_LETTERS).translate(_STROKED_LETTERS) or " "
        if not mapped.isascii():
            decomposed = unicodedata.normalize("NFKD", mapped)
            rest_are_marks = all(unicodedata.category(c) == "Mn" for c in decomposed[1:])
            if decomposed and rest_are_marks and _marks_are_accents(decomposed[0]):
                mapped = decomposed[0]
        lower = mapped.lower()
        out.append(lower if len(lower) == 1 else mapped)
    return "".join(out)


@cache
def ordinary_words() -> frozenset[str]:
    """Ordinary English words (stemmed) that typo correction leaves alone: "bottled" is not "bottles"."""
    raw = resources.files("matching.data").joinpath("english_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#"))
