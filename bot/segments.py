"""How many SMS segments a text costs: GSM-7 (160 alone, 153 per part) or UCS-2 (70 alone, 67 per part)."""

from __future__ import annotations

import unicodedata

# The GSM 03.38 default alphabet, and its extension table whose characters take two septets (escape + char).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


GSM7 = "GSM-7"
UCS2 = "UCS-2"


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def encoding(text: str) -> str:
    """GSM7 when every character is in the GSM 03.38 alphabet; else UCS2 (Arabic, emoji, “curly quotes”, á…)."""
    return GSM7 if is_gsm7(text) else UCS2


# Typographic characters GSM-7 lacks, and the plain ones that read the same.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "})


def plain_gsm7(text: str) -> str | None:
    """`text` in GSM-7 by dropping the accents GSM-7 lacks (“días” → “dias”) and plain quotes and dashes, as
    Twilio's Smart Encoding would; None when more than that stands in the way (Arabic, emoji)."""
    out = []
    for ch in text.translate(_PLAIN):
        if ch in _GSM_BASIC or ch in _GSM_EXTENDED:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)[:1]
        if not base or base not in _GSM_BASIC:
            return None
        out.append(base)
    return "".join(out)


def cheapest(text: str) -> str:
    """`text`, or its plain GSM-7 spelling when that costs fewer segments (an SMS that must stay short)."""
    plain = plain_gsm7(text)
    return plain if plain is not None and count_segments(plain) < count_segments(text) else text


def beyond_gsm7(text: str) -> str:
    """The distinct characters of `text` that GSM-7 lacks, in order: what makes it cost UCS-2 rates."""
    return "".join(dict.fromkeys(ch for ch in text if ch not in _GSM_BASIC and ch not in _GSM_EXTENDED))


def count_segments(text: str) -> int:
    """Segments a carrier bills for `text`; an empty text is still one message."""
    if is_gsm7(text):
        septets = [2 if ch in _GSM_EXTENDED else 1 for ch in text]
        total = sum(septets)
        if total <= 160:
            return 1
        # An escape pair is never split across two parts, so count part by part.
        parts, used = 1, 0
        for size in septets:
            if used + size > 153:
                parts, used = parts + 1, 0
            used += size
        return parts
    units = len(text.encode("utf-16-le")) // 2  # an emoji is a surrogate pair: two UCS-2 units
    if units <= 70:
        return 1
    # Likewise a surrogate pair stays in one part.
    parts, used = 1, 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > 67:
            parts, used = parts + 1, 0
        used += size
    return parts
