"""Drafting a request in the buyer chat: read what the buyer needs, ask for what is missing one question at a
time, show the summary, let them change a field, drop it or send it. A part of BuyerChat (bot/services/buyers.py).
"""

from __future__ import annotations

import re

from sqlmodel import select

from bot.models import Request
from bot.services import handlers, pictures
from bot.services.chat import SHARE_LOCATION, Answer, ChatParts
from bot.services.found_makers import preference_label
from bot.services.notices import summary_when
from bot.services.orders import LIVE_REQUEST, RequestStatus, move
from bot.services.requests import new_request_code, with_words
from matching import geo
from matching.parse import ParsedRequest, parse
from matching.preferences import GREEN, slug
from matching.quantities import unit_label
from matching.text import fold_chars

PREFER = "prefer"  # the preference button's callback: prefer:ID, prefer:ID:WORD
NO_PREFERENCE = "none"
MAX_CALLBACK = 64  # Telegram's limit for a button's data, in bytes (these are ASCII)
NOT_SURE = re.compile(r"^\s*(not sure|unsure|don'?t know|no idea|idk|no s[ée]|\?+)\s*[.!]*\s*$", re.IGNORECASE)


class Drafting(ChatParts):
    """The buyer chat's drafts."""

    def _names_other_items(self, text: str, draft: Request | None) -> bool:
        """Whether `text` asks for things — other things than the draft's ("500 face shields" answering "how
        many face shields?" is an answer, not a new request)."""
        items = set(parse(text, self.today, self.taxonomy).items)
        return bool(items) and (draft is None or not items <= set(draft.concepts.split()))

    def _place_from_text(self, text: str) -> geo.Place | None:
        text = fold_chars(text)  # "٤٨٢٠١" is a ZIP too
        digits = re.findall(r"(?<![0-9])[0-9]{5}(?![0-9])", text)
        if digits:
            return geo.lookup_zip(digits[0])
        # The answer to "where?" is a place on its own ("Dearborn, MI"): read it as the parser reads "near …".
        parsed = parse(f"near {text.strip()}", self.today, self.taxonomy)
        return geo.lookup_zip(parsed.zip) if parsed.zip else None

    def _quantity(self, text: str) -> int | None:
        parsed = parse(text, self.today, self.taxonomy)
        if parsed.quantity:
            return parsed.quantity
        digits = re.sub(r"[,\s]", "", text)
        return int(digits) if digits.isdigit() and 0 < int(digits) < 1_000_000_000 else None

    def _draft(self, request_id: object) -> Request | None:
        if not isinstance(request_id, int):
            return None
        request = self.session.get(Request, request_id)
        if request is None or request.buyer_id != self.buyer.id or request.status != RequestStatus.DRAFT:
            return None
        return request

    def new_request(self, text: str) -> None:
        parsed = parse(text, self.today, self.taxonomy)
        if not parsed.items:
            self.say(self.t.BUYER_EXAMPLE)
            return
        # Only one draft at a time: a new request replaces a draft the buyer walked away from.
        for old in self.session.exec(
            select(Request).where(Request.buyer_id == self.buyer.id, Request.status == RequestStatus.DRAFT)
        ).all():
            move(old, RequestStatus.CANCELLED, self.now)
        place = geo.lookup_zip(parsed.zip) if parsed.zip else None
        if place is None and self.buyer.zip and not parsed.zip:
            # The home ZIP stands in only when the request names no place; a ZIP we do not know is asked about.
            place = geo.lookup_zip(self.buyer.zip)
        if place is not None and self.buyer.zip is None:
            self._set_buyer_zip(place)
        request = Request(
            code=new_request_code(self.session),
            buyer_id=self.buyer.id,
            source=self.buyer.channel,
            text=text[:2000],
            item=parsed.items[0],
            item_label=self._label(parsed)[:200],
            concepts=" ".join(parsed.items),
            quantity=parsed.quantity,
            unit=parsed.unit,
            deadline=parsed.deadline,
            urgency=parsed.urgency,
            radius_miles=parsed.radius_miles or self.buyer.radius_miles or self.config.radius_miles,
            preferences=with_words("", parsed.preferences),
            preferences_only=with_words("", parsed.only),
            status=RequestStatus.DRAFT.value,
            created_at=self.now,
            updated_at=self.now,
        )
        set_place(request, place)
        self.session.add(request)
        self.session.flush()
        if self.pending_picture is not None:
            pictures.attach_to_request(self.session, request, self.pending_picture, self.now)
            self.pending_picture = None
        self.next_step(request)

    def _label(self, parsed: ParsedRequest) -> str:
        labels = [self.taxonomy.label(concept) for concept in parsed.items]
        return ", ".join(dict.fromkeys(labels)) or (parsed.item or "")

    def next_step(self, request: Request, asked: tuple[str, ...] = ()) -> None:
        """Ask for the first missing piece, one at a time; when nothing is missing, show the summary."""
        _, data = self.state()
        if data.get("request_id") == request.id:  # what was asked about another request does not count
            asked = tuple(dict.fromkeys((*data.get("asked", ()), *asked)))
        if request.zip is None:
            self.remember("draft_place", request_id=request.id, asked=list(asked))
            self.say(self.t.BUYER_ASK_PLACE, [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]])
            return
        if request.quantity is None and "quantity" not in asked:
            self.remember("draft_quantity", request_id=request.id, asked=list(asked))
            self.say(
                self.t.BUYER_ASK_QUANTITY.format(what=request.item_label),
                [[(self.t.BUTTON_NOT_SURE, f"unsure:{request.id}")]],
            )
            return
        self.remember("draft_ready", request_id=request.id, asked=list(asked))
        self.say(
            self.t.BUYER_SUMMARY.format(summary=self.describe(request)),
            [
                [(self.t.BUTTON_SEND, f"send:{request.id}")],
                [(self.t.BUTTON_CHANGE, f"edit:{request.id}"), (self.t.BUTTON_DROP, f"drop:{request.id}")],
                [(self.t.BUTTON_PREFER, f"{PREFER}:{request.id}")],
            ],
        )

    def describe(self, request: Request) -> str:
        lines = [self.t.BUYER_FIELD_WHAT.format(what=request.item_label)]
        quantity = f"{request.quantity:,}" if request.quantity else self.t.BUYER_QUANTITY_OPEN
        if request.quantity and request.unit:
            quantity += f" {unit_label(request.unit, request.quantity)}"
        lines.append(self.t.BUYER_FIELD_QUANTITY.format(quantity=quantity))
        lines.append(self.t.BUYER_FIELD_WHEN.format(when=summary_when(request, self.t) or self.t.BUYER_NO_DEADLINE))
        lines.append(
            self.t.BUYER_FIELD_WHERE.format(
                place=f"{request.place_name} {request.zip}" if request.place_name else request.zip,
                radius=request.radius_miles,
            )
        )
        if request.preferences:
            lines.append(self.t.BUYER_FIELD_PREFER.format(prefer=self._preferences_said(request)))
        attached = pictures.count_for_request(self.session, request.id)
        if attached:
            lines.append(self.t.BUYER_PICTURES_ATTACHED.format(count=attached))
        return "\n".join(lines)

    def _preferences_said(self, request: Request) -> str:
        only = set(request.preferences_only.split())
        directory = self.directory()
        said = []
        for word in request.preferences.split():
            label = preference_label(word, directory, self.t)
            said.append(self.t.BUYER_PREFER_ONLY.format(what=label) if word in only else label)
        return ", ".join(said)

    def _set_buyer_zip(self, place: geo.Place) -> None:
        self.buyer.zip, self.buyer.lat, self.buyer.lon = place.zip, place.lat, place.lon
        self.buyer.timezone = place.timezone

    def edit(self, request: Request, name: str, text: str) -> None:
        if name == "place":
            self.on_place(self._place_from_text(text), self.t.BUYER_ZIP_UNKNOWN.format(text=text[:40]))
            return
        if name == "item":
            parsed = parse(text, self.today, self.taxonomy)
            if not parsed.items:
                self.say(self.t.BUYER_ITEM_UNKNOWN)
                return
            request.item, request.concepts = parsed.items[0], " ".join(parsed.items)
            request.item_label = self._label(parsed)[:200]
            # "eco-friendly tote bags" as the new item: its preferences join those the draft has.
            request.preferences = with_words(request.preferences, parsed.preferences)
            request.preferences_only = with_words(request.preferences_only, parsed.only)
        elif name == "quantity":
            if NOT_SURE.match(text):
                request.quantity = None
            else:
                quantity = self._quantity(text)
                if quantity is None:
                    self.say(self.t.BUYER_ASK_QUANTITY_AGAIN)
                    return
                request.quantity = quantity
        elif name == "deadline":
            parsed = parse(f"by {text}", self.today, self.taxonomy)
            if parsed.deadline is None and parsed.urgency is None:
                self.say(self.t.BUYER_DEADLINE_UNKNOWN)
                return
            request.deadline, request.urgency = parsed.deadline, parsed.urgency
        request.updated_at = self.now
        self.next_step(request, asked=("quantity",))

    def press_send(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        if request.status != RequestStatus.DRAFT:
            return Answer(self.t.BUYER_ALREADY_SENT if request.status in LIVE_REQUEST else self.t.BUYER_STALE_BUTTON)
        handlers.send_request(self.session, request, self.now, self.config.followups, self.event.event_id)
        self.forget()
        self.send_out(request, self.sent_text(request))
        return Answer(self.t.BUYER_SENT_TOAST)

    def press_edit(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != RequestStatus.DRAFT:
            return Answer(self.t.BUYER_STALE_BUTTON)
        _, _, name = argument.partition(":")
        prompts = {
            "item": self.t.BUYER_EDIT_ITEM,
            "quantity": self.t.BUYER_EDIT_QUANTITY,
            "deadline": self.t.BUYER_EDIT_DEADLINE,
            "place": self.t.BUYER_EDIT_PLACE,
        }
        if name not in prompts:
            self.say(
                self.t.BUYER_WHAT_TO_CHANGE,
                [
                    [
                        (self.t.BUTTON_EDIT_ITEM, f"edit:{request.id}:item"),
                        (self.t.BUTTON_EDIT_QUANTITY, f"edit:{request.id}:quantity"),
                    ],
                    [
                        (self.t.BUTTON_EDIT_DEADLINE, f"edit:{request.id}:deadline"),
                        (self.t.BUTTON_EDIT_PLACE, f"edit:{request.id}:place"),
                    ],
                ],
            )
            return Answer()
        _, data = self.state()
        self.remember(f"edit_{name}", request_id=request.id, asked=data.get("asked", []))
        buttons = [[(self.t.BUTTON_SHARE_LOCATION, SHARE_LOCATION)]] if name == "place" else None
        self.say(prompts[name], buttons)
        return Answer()

    def press_drop(self, argument: str) -> Answer:
        request = self._own_request(argument)
        if request is None or request.status != RequestStatus.DRAFT:
            return Answer(self.t.BUYER_STALE_BUTTON)
        move(request, RequestStatus.CANCELLED, self.now)
        self.forget()
        self.say(self.t.BUYER_DROPPED)
        return Answer()

    def press_unsure(self, argument: str) -> Answer:
        request = self._own_request(argument)
        state, data = self.state()
        asking = state in ("draft_quantity", "edit_quantity") and data.get("request_id") == (request and request.id)
        if request is None or request.status != RequestStatus.DRAFT or not asking:
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.quantity = None
        self.next_step(request, asked=("quantity",))
        return Answer()

    # ── the preference button: "Prefer greener / local label…" ──

    def _preference_choices(self, request: Request) -> dict[str, str]:
        """What the buyer may prefer by button, word → label: greener practices, a community workshop, and the
        "Made in <town>" label of the request's town when a maker in the directory holds it."""
        choices = {GREEN: self.t.BUTTON_PREFER_GREEN, "makerspace": self.t.BUTTON_PREFER_MAKERSPACE}
        town = (request.place_name or "").split(",")[0].strip()
        if town:
            word = slug(f"made in {town}")
            directory = self.directory()
            if len(f"{PREFER}:{request.id}:{word}") <= MAX_CALLBACK and directory.fits(word).any():
                choices[word] = preference_label(word, directory, self.t)
        return choices

    def press_prefer(self, argument: str) -> Answer:
        """`prefer:ID` shows the choices; `prefer:ID:WORD` adds that preference (or takes it back) and shows the
        summary again; `prefer:ID:none` clears them. A word not offered for this draft changes nothing."""
        request = self._own_request(argument)
        if request is None:
            return Answer(self.t.BUYER_NOT_YOURS, alert=True)
        if request.status != RequestStatus.DRAFT:
            return Answer(self.t.BUYER_STALE_BUTTON)
        _, _, word = argument.partition(":")
        choices = self._preference_choices(request)
        chosen = request.preferences.split()
        if not word:
            rows = [
                [
                    (
                        self.t.BUTTON_PREFER_CHOSEN.format(label=label) if w in chosen else label,
                        f"{PREFER}:{request.id}:{w}",
                    )
                ]
                for w, label in choices.items()
            ]
            rows.append([(self.t.BUTTON_PREFER_NONE, f"{PREFER}:{request.id}:{NO_PREFERENCE}")])
            self.say(self.t.BUYER_PREFER_ASK, rows)
            return Answer()
        if word == NO_PREFERENCE:
            request.preferences = request.preferences_only = ""
            toast = self.t.BUYER_PREFER_REMOVED
        elif word in chosen:
            request.preferences = " ".join(w for w in chosen if w != word)
            request.preferences_only = " ".join(w for w in request.preferences_only.split() if w != word)
            toast = self.t.BUYER_PREFER_REMOVED
        elif word in choices:
            request.preferences = with_words(request.preferences, (word,))
            toast = self.t.BUYER_PREFER_SAVED
        else:
            return Answer(self.t.BUYER_STALE_BUTTON)
        request.updated_at = self.now
        self.next_step(request, asked=("quantity",))
        return Answer(toast)


def set_place(request: Request, place: geo.Place | None) -> None:
    if place is None:
        request.zip = request.place_name = request.lat = request.lon = None
        return
    request.zip, request.lat, request.lon = place.zip, place.lat, place.lon
    request.place_name = f"{place.city}, {place.state}"[:100]
