"""Who a maker is, end to end through the services: makers keep their greener practices and what they teach by
SMS (never their badges), and a buyer's preference ranks, hides and explains the makers found."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Maker, MakerTrait, as_utc, utcnow
from bot.segments import count_segments
from bot.services import makers as maker_service
from tests.integration.test_sms_inbox import NOW, TAXONOMY, maker, text

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
