"""A maker's listing by SMS: pausing and resuming, the lists they keep (what they make, greener practices, what
they teach), and alerts on or off. Badges are the organisers' to give: asking for one changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from bot.db import saved_id
from bot.models import MakerCapability, MakerStatus, MakerTrait
from bot.services import makers as maker_service
from bot.services.inbox_parts import InboxParts
from bot.services.maker_csv import MAX_TRAITS
from bot.services.replies import Reply
from matching.practices import known_practices, practices_in
from matching.practices import label as practice_label


@dataclass(frozen=True)
class Listing:
    """A list a maker keeps by SMS, and the sentences that belong to it alone."""

    trait: str | None  # MakerTrait.kind; None for the capabilities
    limit: int
    # The names of its sentences in bot/texts.py, read from the maker's catalogue.
    shown: str  # "{caps}": the numbered list
    empty: str
    need_items: str
    too_many: str  # "{limit}"


LISTINGS = {
    "caps": Listing(
        None,
        maker_service.MAX_CAPABILITIES,
        "SMS_CAPS",
        "SMS_CAPS_EMPTY",
        "SMS_CAPS_NEED_ITEMS",
        "SMS_CAPS_TOO_MANY",
    ),
    "green": Listing(
        "practice",
        MAX_TRAITS,
        "SMS_GREEN",
        "SMS_GREEN_EMPTY",
        "SMS_GREEN_NEED_ITEMS",
        "SMS_GREEN_TOO_MANY",
    ),
    "teach": Listing(
        "training",
        MAX_TRAITS,
        "SMS_TEACH",
        "SMS_TEACH_EMPTY",
        "SMS_TEACH_NEED_ITEMS",
        "SMS_TEACH_TOO_MANY",
    ),
}
BADGES = Listing("badge", MAX_TRAITS, "", "", "", "")  # read only: a maker cannot change their badges by SMS


class ListingEdits(InboxParts):
    """The inbox's listing commands."""

    def pause(self, reply: Reply) -> None:
        assert self.maker is not None
        self.maker.status = MakerStatus.PAUSED.value
        self.maker.updated_at = self.now
        if reply.days:
            until = self.now + timedelta(days=reply.days)
            self.maker.paused_until = until
            local = until.astimezone(self.zone)
            self.reply(self.t.SMS_PAUSED_UNTIL.format(date=self.t.short_date(local.date(), weekday=True)))
        else:
            self.maker.paused_until = None
            self.reply(self.t.SMS_PAUSED)

    def resume(self, _reply: Reply) -> None:
        assert self.maker is not None
        if self.maker.status == MakerStatus.ACTIVE:
            self.reply(self.t.SMS_NOT_PAUSED)
            return
        self.maker.status = MakerStatus.ACTIVE.value
        self.maker.paused_until = None
        self.maker.updated_at = self.now
        self.reply(self.t.SMS_RESUMED)

    def listed(self, listing: Listing) -> Sequence[MakerCapability | MakerTrait]:
        """The maker's rows of that list, in their order."""
        assert self.maker is not None
        if listing.trait is None:
            return list(
                self.session.exec(
                    select(MakerCapability)
                    .where(MakerCapability.maker_id == self.maker.id)
                    .order_by(col(MakerCapability.position), col(MakerCapability.id))
                ).all()
            )
        return list(
            self.session.exec(
                select(MakerTrait)
                .where(MakerTrait.maker_id == self.maker.id, MakerTrait.kind == listing.trait)
                .order_by(col(MakerTrait.position), col(MakerTrait.id))
            ).all()
        )

    def _list_line(self, listing: Listing) -> str:
        rows = self.listed(listing)
        if not rows:
            return self.t.text(listing.empty)
        shown = ", ".join(self.t.SMS_CAPS_LINE.format(n=n, phrase=row.phrase) for n, row in enumerate(rows, 1))
        return self.t.text(listing.shown).format(caps=shown)

    def show_list(self, reply: Reply) -> None:
        """CAPS, GREEN, TEACH: the list, numbered, and how to change it."""
        self.reply(self._list_line(LISTINGS[reply.kind]))

    def add_to_list(self, reply: Reply) -> None:
        """CAPS ADD a; b (and GREEN ADD, TEACH ADD): new phrases at the end, each with what it was understood as."""
        assert self.maker is not None
        listing = LISTINGS[reply.kind.removesuffix("_add")]
        phrases = [p[: maker_service.MAX_CAPABILITY] for p in reply.phrases if p.strip()]
        if not phrases:
            self.reply(self.t.text(listing.need_items))
            return
        current = self.listed(listing)
        have = {row.phrase.casefold() for row in current}
        new = [p for p in dict.fromkeys(phrases) if p.casefold() not in have]
        if not new:
            self.reply(self.t.SMS_CAPS_ALREADY.format(phrases="; ".join(phrases)))
            return
        if len(current) + len(new) > listing.limit:
            self.reply(self.t.text(listing.too_many).format(limit=listing.limit))
            return
        position = max((row.position for row in current), default=-1)
        for phrase in new:
            position += 1
            self.session.add(self._row(listing, position, phrase))
        self.maker.updated_at = self.now  # the directory cache follows makers by this stamp
        understood = self.understood(new) if listing.trait != "practice" else self._practices_understood(new)
        self.reply(self.t.SMS_CAPS_ADDED.format(added="; ".join(new), understood=understood).strip())

    def _row(self, listing: Listing, position: int, phrase: str) -> MakerCapability | MakerTrait:
        assert self.maker is not None
        maker_id = saved_id(self.maker)
        if listing.trait is None:
            concepts = maker_service.capability_concepts(self.taxonomy, phrase)
            return MakerCapability(maker_id=maker_id, position=position, phrase=phrase, concepts=concepts)
        concepts = maker_service.trait_concepts(self.taxonomy, listing.trait, phrase)
        return MakerTrait(maker_id=maker_id, kind=listing.trait, position=position, phrase=phrase, concepts=concepts)

    def _practices_understood(self, phrases: list[str]) -> str:
        """“I understood: renewable energy.” — the shared practices the phrases name, as `understood` says it."""
        labels = [practice_label(p) for p in known_practices(phrases)]
        unknown = [phrase for phrase in phrases if not practices_in(phrase)]
        parts = [self.t.SMS_UNDERSTOOD.format(labels=", ".join(labels))] if labels else []
        if unknown:
            parts.append(self.t.SMS_NOT_RECOGNISED.format(phrases="; ".join(unknown)))
        return " ".join(parts)

    def remove_from_list(self, reply: Reply) -> None:
        """CAPS REMOVE 2 or CAPS REMOVE masks (and GREEN, TEACH): by number, the exact phrase, or a unique part."""
        assert self.maker is not None
        listing = LISTINGS[reply.kind.removesuffix("_remove")]
        rows = self.listed(listing)
        target: MakerCapability | MakerTrait | None = None
        wanted = reply.phrases[0] if reply.phrases else ""
        if reply.number is not None and 1 <= reply.number <= len(rows):
            target = rows[reply.number - 1]
        elif wanted:
            folded = wanted.casefold()
            exact = [row for row in rows if row.phrase.casefold() == folded]
            partial = [row for row in rows if folded in row.phrase.casefold()]
            target = exact[0] if exact else (partial[0] if len(partial) == 1 else None)
        if target is None:
            what = wanted or (str(reply.number) if reply.number is not None else "")
            self.reply(self.t.SMS_CAPS_NOT_FOUND.format(what=what, caps=self._list_line(listing)))
            return
        self.session.delete(target)
        self.maker.updated_at = self.now
        self.reply(self.t.SMS_CAPS_REMOVED.format(phrase=target.phrase))

    def refuse_badge(self, _reply: Reply) -> None:
        """BADGE Made in Detroit: labels are the organisers' to give; the maker hears whom to ask, nothing changes."""
        assert self.maker is not None
        badges = [t.phrase for t in self.listed(BADGES)]
        yours = self.t.SMS_BADGES_YOURS.format(badges="; ".join(badges)) if badges else ""
        self.reply(self.t.SMS_BADGES_BY_ORGANISERS.format(yours=yours))

    def alerts(self, reply: Reply) -> None:
        assert self.maker is not None
        self.maker.alerts_opt_out = reply.kind == "alerts_off"
        self.maker.updated_at = self.now
        self.reply(self.t.SMS_ALERTS_OFF if self.maker.alerts_opt_out else self.t.SMS_ALERTS_ON)
