"""Who a maker is, end to end through the services: makers keep their greener practices and what they teach by
SMS (never their badges), and a buyer's preference ranks, hides and explains the makers found."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.models import Invitation, Maker, MakerTrait, as_utc, utcnow
from bot.segments import count_segments
from bot.services import makers as maker_service
from tests.integration.test_buyer_chat import NOW, Buyer_, button, requests_of
from tests.integration.test_sms_inbox import TAXONOMY, maker, text

# Three tote-bag makers in one ZIP, alike in all but who they are; the plain one comes first by name, so only a
# preference can put another ahead of it.
CSV = b"""name,phone,zip,capabilities,type,badges,practices,training
Acme Bags,+13135550101,48201,tote bags; screen printing,,,,
Motor City Totes,+13135550102,48201,tote bags; screen printing,,Made in Detroit,,
Zeta Green Bags,+13135550103,48201,tote bags; screen printing,,,recycled materials; solar powered,
Woodward Makerspace,+13135550104,48201,laser cutting; woodworking,makerspace,,,open shop hours
"""
PLAIN, LABELLED, GREEN, SPACE = (f"+1313555010{n}" for n in range(1, 5))


def import_makers(db) -> None:
    report = maker_service.import_makers(db, CSV, "traits", TAXONOMY)
    assert report.imported == 4 and not report.skipped


def traits(db, phone: str, kind: str) -> list[MakerTrait]:
    with db.read() as session:
        return list(
            session.exec(
                select(MakerTrait)
                .join(Maker)
                .where(Maker.phone == phone, MakerTrait.kind == kind)
                .order_by(MakerTrait.position)
            ).all()
        )


# ── makers by SMS ──


def test_a_maker_adds_lists_and_removes_greener_practices(any_db):
    import_makers(any_db)
    [empty] = text(any_db, PLAIN, "GREEN")
    assert "No greener practices listed" in empty and "GREEN ADD" in empty
    [added] = text(any_db, PLAIN, "GREEN ADD solar powered; recycled materials, hand-sewn with love")
    assert "solar powered; recycled materials" in added and "renewable energy" in added
    assert "Kept as written" in added and "hand-sewn with love" in added
    stored = traits(any_db, PLAIN, "practice")
    assert [t.phrase for t in stored] == ["solar powered", "recycled materials", "hand-sewn with love"]
    assert [t.concepts for t in stored] == ["renewable-energy", "recycled-materials", ""]  # as the CSV import has it
    assert as_utc(maker(any_db, PLAIN).updated_at) == NOW  # the directory cache follows the maker from this stamp
    [shown] = text(any_db, PLAIN, "practices")
    assert shown.startswith("Your greener practices: 1) solar powered, 2) recycled materials, 3) hand-sewn")
    [again] = text(any_db, PLAIN, "green add Solar Powered")
    assert "Already listed" in again
    [removed] = text(any_db, PLAIN, "GREEN REMOVE 1")
    assert removed == "Removed: solar powered."
    [missing] = text(any_db, PLAIN, "green remove wind")
    assert "Nothing to remove" in missing and "1) recycled materials" in missing
    assert [t.phrase for t in traits(any_db, PLAIN, "practice")] == ["recycled materials", "hand-sewn with love"]
    assert traits(any_db, PLAIN, "training") == [] and maker_service.list_makers(any_db)[0].as_dict()["practices"] == [
        "recycled materials",
        "hand-sewn with love",
    ]


def test_a_maker_adds_lists_and_removes_what_they_teach(any_db):
    import_makers(any_db)
    [added] = text(any_db, SPACE, "TEACH ADD TIG welding classes; sewing for beginners")
    assert added.startswith("Added: TIG welding classes; sewing for beginners.")
    stored = traits(any_db, SPACE, "training")
    assert [t.phrase for t in stored] == ["open shop hours", "TIG welding classes", "sewing for beginners"]
    assert [t.position for t in stored] == [0, 1, 2]
    assert stored[1].concepts == maker_service.trait_concepts(TAXONOMY, "training", "TIG welding classes") != ""
    [shown] = text(any_db, SPACE, "Training")
    assert shown.startswith("You teach or lend: 1) open shop hours, 2) TIG welding classes")
    [removed] = text(any_db, SPACE, "classes remove sewing")
    assert removed == "Removed: sewing for beginners."
    [need] = text(any_db, SPACE, "TEACH ADD")
    assert "TEACH ADD TIG welding classes" in need
    assert [t.phrase for t in traits(any_db, SPACE, "training")] == ["open shop hours", "TIG welding classes"]
    assert traits(any_db, SPACE, "practice") == []


def test_a_maker_cannot_give_themselves_a_badge(any_db):
    import_makers(any_db)
    for body in ("BADGE Made in Detroit", "BADGES ADD woman-owned", "label B Corp", "badges"):
        [answer] = text(any_db, PLAIN, body)
        assert "given by the organisers" in answer and "Nothing was changed" in answer
        assert count_segments(answer) == 1
    assert traits(any_db, PLAIN, "badge") == []
    [answer] = text(any_db, LABELLED, "BADGE REMOVE 1")
    assert answer.startswith("Your badges: Made in Detroit. ") and "Nothing was changed" in answer
    assert [t.phrase for t in traits(any_db, LABELLED, "badge")] == ["Made in Detroit"]


def test_help_names_the_new_lists_within_two_segments(any_db):
    import_makers(any_db)
    [help_text] = text(any_db, PLAIN, "HELP")
    assert "GREEN" in help_text and "TEACH" in help_text and count_segments(help_text) <= 2


def test_a_practice_texted_in_reaches_the_next_match(any_db):
    import_makers(any_db)
    cache = maker_service.DirectoryCache(any_db, TAXONOMY)
    plain = maker(any_db, PLAIN).id

    def green_now() -> bool:
        directory = cache.get(utcnow())
        position = max(i for i, profile in enumerate(directory.makers) if profile.id == plain)  # the latest copy
        return bool(directory.fits("green")[position])

    assert not green_now()
    text(any_db, PLAIN, "GREEN ADD zero waste", now=utcnow())
    assert green_now()


# ── buyers: preferences rank, hide and explain ──


@pytest.fixture
def dana(any_db):
    import_makers(any_db)
    cache = maker_service.DirectoryCache(any_db, TAXONOMY)
    return Buyer_(any_db, lambda: cache.get(NOW))


def summary_of(dana, text: str):
    dana.command("start")
    dana.send("48201")
    [(summary, buttons)] = dana.send(text)
    assert "Here is what I understood" in summary
    return summary, buttons


def invited_in_order(db) -> list[str]:
    with db.read() as session:
        rows = session.exec(select(Maker.phone).join(Invitation).order_by(Invitation.rank)).all()
    return list(rows)


def test_without_a_preference_the_plain_maker_comes_first(dana):
    summary, buttons = summary_of(dana, "need 200 tote bags")
    assert "Prefer" not in summary
    [(sent, _)] = dana.press(button([(summary, buttons)], "✅"))
    assert invited_in_order(dana.db) == [PLAIN, LABELLED, GREEN]
    assert "✓" not in sent and "left out" not in sent
    # Each maker asked is described, never named: the labels and practices they have, and the transport estimate.
    lines = sent.split("\n\n")[1].split("\n")
    assert lines[0].startswith("Maker 1 — 0.0 mi · ≈ ") and lines[0].endswith("(estimate)")
    assert lines[1].startswith("Maker 2 — 0.0 mi · Made in Detroit · ≈ ")
    assert lines[2].startswith("Maker 3 — 0.0 mi · greener: recycled materials, solar powered · ≈ ")
    assert "kg CO₂e less transport than importing (estimate)" in lines[2]
    assert not any(name in sent for name in ("Acme", "Motor City", "Zeta"))


def test_eco_friendly_puts_the_equally_capable_green_maker_first_and_says_why(dana):
    summary, buttons = summary_of(dana, "need 200 eco-friendly tote bags")
    assert "• Prefer: greener practices" in summary
    [(sent, _)] = dana.press(button([(summary, buttons)], "✅"))
    assert invited_in_order(dana.db)[0] == GREEN
    first = sent.split("\n\n")[1].split("\n")[0]
    assert first.startswith("Maker 1 — 0.0 mi · ✓ greener: recycled materials, solar powered · ≈ ")
    [request] = requests_of(dana.db)
    assert (request.preferences, request.preferences_only) == ("green", "")


def test_only_made_in_detroit_hides_the_others_and_says_how_many(dana):
    summary, buttons = summary_of(dana, "need 200 tote bags, only Made in Detroit")
    assert "• Prefer: Made in Detroit only" in summary
    [(sent, _)] = dana.press(button([(summary, buttons)], "✅"))
    assert invited_in_order(dana.db) == [LABELLED]
    assert "Sent to 1 maker within" in sent and "Maker 1 — 0.0 mi · ✓ Made in Detroit" in sent
    assert sent.endswith("You asked for Made in Detroit only, so I left out 2 other makers nearby who could make it.")


def test_when_only_leaves_nobody_the_buyer_hears_how_many_were_left_out(dana):
    summary, buttons = summary_of(dana, "need 200 tote bags, only B Corp")
    [(nobody, next_buttons)] = dana.press(button([(summary, buttons)], "✅"))
    assert invited_in_order(dana.db) == []
    assert nobody.startswith("You asked for B Corp only, so I left out 3 other makers") and "without “only”" in nobody
    assert button([(nobody, next_buttons)], "Widen").startswith("widen:")


def test_the_preference_button_adds_a_preference_the_match_then_ranks_by(dana):
    summary, buttons = summary_of(dana, "need 200 tote bags")
    [(ask, choices)] = dana.press(button([(summary, buttons)], "🌱"))
    assert "come first" in ask
    # The request's town has a "Made in" label in the directory, so it is offered as the organisers spell it.
    assert [row[0][0] for row in choices] == [
        "Greener practices",
        "Community workshop",
        "Made in Detroit",
        "No preference",
    ]
    [(again, buttons)] = dana.press(button([(ask, choices)], "Greener"))
    assert dana.toast == "Preference saved." and "• Prefer: greener practices" in again
    [(ask, choices)] = dana.press(button([(again, buttons)], "🌱"))
    assert choices[0][0][0] == "✓ Greener practices"
    [(sent, _)] = dana.press(button([(again, buttons)], "✅"))
    assert invited_in_order(dana.db)[0] == GREEN and "Maker 1 — 0.0 mi · ✓ greener: recycled materials" in sent


def test_pressing_a_chosen_preference_again_takes_it_back(dana):
    summary, buttons = summary_of(dana, "need 200 eco-friendly tote bags")
    [(ask, choices)] = dana.press(button([(summary, buttons)], "🌱"))
    [(again, _)] = dana.press(button([(ask, choices)], "✓ Greener"))
    assert dana.toast == "Preference removed." and "Prefer" not in again
    [request] = requests_of(dana.db)
    assert request.preferences == ""


def test_forged_and_stale_preference_buttons_change_nothing(dana, any_db):
    summary, buttons = summary_of(dana, "need 200 tote bags")
    [request] = requests_of(any_db)
    for forged in (
        f"prefer:{request.id}:woman-owned",
        f"prefer:{request.id}:made-in-chicago",
        f"prefer:{request.id}:x:y",
    ):
        assert dana.press(forged) == [] and dana.toast == "That button is out of date; nothing changed."
    for forged in ("prefer:999999:green", "prefer:abc", "prefer:", "prefer"):
        assert dana.press(forged) == [] and dana.toast == "That button belongs to someone else's request."
    [request] = requests_of(any_db)
    assert request.preferences == "" and request.status == "draft"
    # Someone else's draft is not theirs to change.
    other = Buyer_(any_db, dana.directory, user_id=2002, username="sam")
    assert (
        other.press(f"prefer:{request.id}:green") == []
        and other.toast == "That button belongs to someone else's request."
    )
    # Once sent, the draft's preference buttons are out of date.
    dana.press(button([(summary, buttons)], "✅"))
    assert (
        dana.press(f"prefer:{request.id}:green") == [] and dana.toast == "That button is out of date; nothing changed."
    )
    [request] = requests_of(any_db)
    assert request.preferences == ""
