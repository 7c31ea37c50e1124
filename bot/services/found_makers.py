"""What a buyer reads about the makers their request went to, before knowing who they are: the kind of maker, the
organisers' labels, greener practices, which of the buyer's preferences each fits, and the transport estimate,
always called one. All of it is what the matcher already said of each match (matching.matcher.Match)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.locales import Catalogue
from bot.models import Invitation, Maker
from matching.directory import Directory
from matching.emissions import Estimate
from matching.matcher import Match, MatchResult
from matching.preferences import GREEN, MAKER_TYPES, slug

MAX_PRACTICES = 3  # shown per maker; the rest are the maker's business
MAX_PHRASE = 60


def found_text(invited: Sequence[tuple[Invitation, Maker]], result: MatchResult, t: Catalogue) -> str:
    """One line per maker asked, in rank order, then how many an "only …" preference left out."""
    by_maker = {str(match.maker_id): match for match in result.matches}
    lines = [
        _line(invitation, by_maker[str(maker.id)], t) for invitation, maker in invited if str(maker.id) in by_maker
    ]
    return "\n".join(lines)


def hidden_text(result: MatchResult, directory: Directory, t: Catalogue) -> str:
    """“You asked for Made in Detroit only, so I left out 4 other makers…”; empty when nobody was left out."""
    if not result.hidden:
        return ""
    wanted = " + ".join(preference_label(word, directory, t) for word in result.request.only)
    return t.BUYER_HIDDEN.format(what=wanted, count=result.hidden)


def preference_label(word: str, directory: Directory, t: Catalogue) -> str:
    """A preference word as the buyer reads it: "greener practices", "makerspace", or a label as the organisers
    spelled it ("Made in Detroit")."""
    if word == GREEN:
        return t.PREFERENCE_GREEN
    if word in MAKER_TYPES:
        return t.MAKER_TYPES.get(word, word)
    fits = directory.fits(word)
    if fits.any():
        given = directory.badge(int(fits.argmax()), word)
        if given:
            return given
    return _readable(word)


def _readable(word: str) -> str:
    """A label nobody in the directory holds, from its slug: "b-corp" → "B Corp", "woman-owned" → "Woman-owned",
    "made-in-flint" → "Made in Flint"."""
    words = word.split("-")
    tail = words.pop() if len(words) > 1 and words[-1] in _LABEL_ENDINGS else None
    said = " ".join(w if w in _SMALL_WORDS else w.capitalize() for w in words)
    return f"{said}-{tail}" if tail else said


_LABEL_ENDINGS = frozenset({"owned", "made", "led", "run"})
_SMALL_WORDS = frozenset({"in", "of", "and", "the", "by"})


def _line(invitation: Invitation, match: Match, t: Catalogue) -> str:
    distance = t.MILES.format(miles=match.distance_miles) if match.distance_miles is not None else t.MILES_UNKNOWN
    parts = [*_fits(match, t), *_who(match, t)]
    if match.emissions is not None:
        parts.append(_emissions(match.emissions, t))
    about = "".join(t.BUYER_FOUND_PART.format(part=part) for part in parts)
    return t.BUYER_FOUND_LINE.format(rank=invitation.rank, distance=distance, about=about)


def _fits(match: Match, t: Catalogue) -> list[str]:
    """Why the maker ranks where it does among the buyer's preferences: “✓ greener: recycled materials”."""
    out: list[str] = []
    for word in match.preferred:
        if word == GREEN:
            what = t.BUYER_FOUND_GREENER.format(practices=_practices(match))
        elif word in MAKER_TYPES:
            what = t.MAKER_TYPES.get(word, word)
        else:
            what = next((badge for badge in match.badges if slug(badge) == word), word)
        out.append(t.BUYER_FOUND_FITS.format(what=what))
    return out


def _who(match: Match, t: Catalogue) -> list[str]:
    """What else the buyer should know of the maker: its kind unless a business, its labels, its practices."""
    out: list[str] = []
    if match.kind != "business" and match.kind not in match.preferred:
        out.append(t.MAKER_TYPES.get(match.kind, match.kind))
    out.extend(badge for badge in match.badges if slug(badge) not in match.preferred)
    if match.practices and GREEN not in match.preferred:
        out.append(t.BUYER_FOUND_GREENER.format(practices=_practices(match)))
    return out


def _practices(match: Match) -> str:
    shown = [phrase[:MAX_PHRASE] for phrase in match.practices[:MAX_PRACTICES]]
    return ", ".join(shown) + ("…" if len(match.practices) > MAX_PRACTICES else "")


def _emissions(estimate: Estimate, t: Catalogue) -> str:
    """Always worded as an estimate; no saving is said as plainly as a saving."""
    if estimate.avoided_kg < 0.05:
        return t.BUYER_FOUND_NO_SAVING
    kg = f"{estimate.avoided_kg:,.1f}" if estimate.avoided_kg < 10 else f"{estimate.avoided_kg:,.0f}"
    return t.BUYER_FOUND_EMISSIONS.format(kg=kg)
