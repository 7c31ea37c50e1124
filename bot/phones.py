"""Phone numbers → E.164 ("+13135550100"), US by default."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "US"


# A North American number written the usual ways: "(313) 555-0100", "313.555.0100", "+1 313-555-0100". Such a
# number has the shape `to_e164` accepts whatever phonenumbers says of it, so it is read without phonenumbers, which
# takes about half a millisecond a number: most of the time an import of 100,000 makers spent reading its file.
_NANP_WRITTEN = re.compile(r"^(?:\+?1[ .\-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .\-]?([2-9]\d\d)[ .\-]?(\d{4})$")


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a phone number, or None if it cannot be one.

    Fictional 555-01xx numbers (used in the demo directory) are accepted: they have the shape of a
    real North American number even though no carrier will route them.
    """
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    written = _NANP_WRITTEN.match(text) if region == "US" else None
    if written:
        return "+1" + "".join(part for part in written.groups() if part)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    if not phonenumbers.is_valid_number(number) and not _nanp_shape(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _nanp_shape(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return number.country_code == 1 and len(national) == 10 and national[0] in "23456789" and national[3] in "23456789"


MASK = "•••"


def mask_digits(digits: str, prefix: str = "+") -> str:
    """For logs: +13135550123 → +1•••0123, the country code and the last four digits."""
    try:
        country = str(phonenumbers.parse("+" + digits, None).country_code)
    except phonenumbers.NumberParseException:
        country = digits[:1]
    if len(digits) - len(country) <= 4:
        country = ""
    return f"{prefix}{country}{MASK}{digits[-4:]}"


def masked(address: str | int | None) -> str:
    """For logs: a phone number as its country code and last four digits; a chat id as its last four digits."""
    text = str(address or "")
    if text.startswith("+") and text[1:].isdigit() and len(text) > 5:
        return mask_digits(text[1:])
    return f"…{text[-4:]}" if len(text) > 4 else "…"
