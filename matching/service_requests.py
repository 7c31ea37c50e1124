"""Requests that name something makers make, but ask for what no maker does to order.

"garage door opener repair" names a door opener, yet asks for a repairer; "used office chairs" names chairs, yet
asks for a second-hand shop; "yoga class" names a class, yet nobody in a directory of makers teaches yoga. Each is
read from the shape of the request (a repair word on the thing, a second-hand word next to it, a class whose
subject no maker's class mentions) rather than from a list of such requests, so that new ones are caught too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from matching.quantities import UNIT_OF
from matching.taxonomy import Taxonomy
from matching.text import tokens


def _stems(words: Iterable[str]) -> frozenset[str]:
    return frozenset(tok for word in words for tok in tokens(word))


# A repair asked for, in the languages the parser reads. "replacement" is not one: "replacement gears" are made.
_REPAIR = _stems(
    ["repair", "repairs", "repairing", "fix", "fixing", "servicing", "sharpening", "afilado", "reparacion",
     "reparaciones", "reparar", "arreglo", "arreglar", "arreglos", "naprawa", "reparation", "reparo", "reparatur",
     "riparazione", "sua chua",
     "تصليح", "اصلاح", "إصلاح", "لتصليح", "لاصلاح", "لإصلاح"]
)
# "a bracket to fix the shelf", "welding for repairing a trailer": the repair is what the made thing is for.
_PURPOSE = _stems(["to", "for", "para"])
_UNIT_WORDS = _stems(UNIT_OF)
_USED = _stems(["used", "secondhand", "preowned", "usado", "usados", "usada", "usadas", "مستعمل", "مستعملة"])
# "used bikes fixed up", "refurbished used chairs": second-hand goods made good again are a maker's job.
_MADE_GOOD = _REPAIR | _stems(["fixed", "refurbish", "refurbished", "refurbishing", "restore", "restored",
                               "restoring", "restoration", "rebuilt", "rebuild", "reupholster", "reupholstered",
                               "upcycled", "upcycle", "refinished", "refinish", "restaurado", "reparado"])
# A maker's phrase that offers goods second-hand, made good again: "refurbished bikes for sale", "used pallets".
# Not "reclaimed wood tables" (new things of old material), nor a repair ("frame repair"), which makes nothing to sell.
_RESOLD = _USED | _stems(["refurbished", "refurbish", "reconditioned", "rebuilt", "restored", "recertified",
                          "reacondicionado", "reacondicionados", "مجدد", "مجددة"])
_USED_PAIRS = {("second", "hand"), ("pre", "owned"), ("de", "segunda")}
# "chairs used in our cafe": after the thing, "used" followed by one of these describes it, it is no resale.
_USED_HOW = _stems(["for", "in", "to", "as", "by", "on", "at", "with", "daily", "outdoors", "indoors"])
_DETERMINERS = _stems(["a", "an", "the", "my", "our", "some", "any", "few", "un", "una", "unos", "unas", "mi", "mis"])

# Work done on what the buyer has, which no maker makes: "paint my kitchen cabinets", "patch a hole in the drywall",
# "frame my diploma", "hang 12 prints". A request that opens with one of these asks for that work, whatever it names
# after it; repairs are read apart (`asks_for_a_repair`), since some makers do take them. The first are verbs
# wherever they open a request; the others ("clean room garments", "frames for bikes", "store signage") only
# before what the work is done on.
_WORK_VERBS = _stems(
    ["paint", "repaint", "sharpen", "appraise", "recycle", "remodel", "renovate", "refinish", "resurface", "reseal",
     "caulk", "plaster", "rewire", "unclog", "mow", "demolish", "tint", "pintar", "limpiar", "lavar", "colgar", "mover",
     "enmarcar", "afilar", "remodelar", "resanar", "دهان"]
)
_WORK_VERBS_BEFORE_OBJECT = _stems(
    ["patch", "clean", "wash", "hang", "mount", "move", "haul", "laminate", "sell", "frame", "reframe", "inspect",
     "fire", "seal", "prune", "remove", "shred", "store", "tow", "mask", "sign", "quitar", "tapar", "نقل", "تعليق"]
)
# The same work, done: "need my snowboard waxed and edges tuned", "get our cabinets painted".
_WORK_DONE = _stems(
    ["swapped", "installed", "adjusted", "trued", "painted", "repainted", "waxed", "tuned", "cleaned", "washed",
     "hung", "mounted", "moved", "hauled", "framed", "tinted", "patched", "sharpened", "appraised", "inspected",
     "remodeled", "renovated", "replaced", "refinished", "resurfaced", "resealed", "sealed", "rewired", "unclogged",
     "mowed", "removed", "shredded", "stored", "towed", "serviced", "detailed", "pintado", "pintados", "pintada",
     "pintadas", "limpiado", "lavado", "enmarcado"]
)
# Of those, work no maker does to a thing, whoever owns it: "30 kitchen knives sharpened every week", "rugs cleaned".
# Not "painted", "sealed" or "installed": "cabinets painted white" may be made so.
_ONLY_SERVICED = _stems(["sharpened", "appraised", "unclogged", "mowed", "towed", "serviced", "inspected", "cleaned",
                         "washed", "hauled", "shredded", "trued", "detailed", "afilados", "afiladas", "limpiado"])
_OWNER = _stems(["my", "our", "mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras"])
# Who the work is done for or on: "patch a hole", "frame my diploma". After one of these, a product word ("frame",
# "patch", "sign") is the verb; before other words ("frames for bikes", "patches for our jackets") the product.
_OBJECT_WORDS = _stems(["a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "these", "those", "up",
                        "away", "it", "them", "mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras", "el", "la",
                        "los", "las", "un", "una"])
# Words a request opens with before what it asks for: "can you please", "looking for someone to", "necesito que".
_LEAD_IN = _stems(
    ["i", "we", "im", "need", "needed", "want", "wanted", "would", "like", "to", "someone", "somebody", "anyone",
     "anybody", "can", "could", "you", "please", "pls", "plz", "looking", "for", "help", "who", "hi", "hello",
     "hey", "is", "there", "a", "company", "business", "pro", "professional", "that", "will", "necesito",
     "necesitamos", "busco", "buscamos", "alguien", "que", "pueda", "quien", "me", "nos", "hola", "por", "favor"]
)


# "design my product in CAD, just drawings, no manufacturing": the design alone, which no maker here is for.
_DESIGN = "design_engineering"
_ONLY = _stems(["just", "only", "solo", "nomas"])
_DRAWN = _stems(["drawing", "drawings", "file", "files", "model", "models", "plans", "design", "designs", "cad",
                 "render", "renders", "planos", "diseno"])
_NO = _stems(["no", "not", "without", "sin"])
_MAKING = _stems(["manufacturing", "manufacture", "production", "fabrication", "build", "building", "making",
                  "prototype", "prototyping", "fabricacion", "produccion"])


# What is only ever drawn: "CAD renders of my product for kickstarter".
_RENDERS = _stems(["render", "renders", "rendering", "renderings", "renderizado", "renders 3d"])


def asks_for_design_only(items: Iterable[str], toks: list[str]) -> bool:
    """Whether a request for design says it wants the drawings alone ("just drawings", "no manufacturing", "CAD
    renders")."""
    if set(items) != {_DESIGN}:
        return False
    if not _RENDERS.isdisjoint(toks):
        return True
    pairs = list(itertools.pairwise(toks))
    return any(a in _ONLY and b in _DRAWN for a, b in pairs) or any(a in _NO and b in _MAKING for a, b in pairs)


def asks_for_work_on_own_things(taxonomy: Taxonomy, toks: list[str]) -> bool:
    """Whether the request opens with work done on the buyer's own things ("paint my kitchen cabinets white",
    "patch a hole in my drywall", "can someone frame a poster"), or says it is to be done to them ("need my
    snowboard waxed"): no maker makes that to order. Not when the word is a trade the taxonomy knows as a process,
    nor when a product word is followed by what it is for ("frames for our bikes")."""
    if not _ONLY_SERVICED.isdisjoint(toks):
        ends = {end for tag, _start, end in taxonomy.locate(toks) if taxonomy.kind(tag.id) != "process"}
        if any(tok in _ONLY_SERVICED and i in ends for i, tok in enumerate(toks)):
            return True  # "30 kitchen knives sharpened every week": the knives are the buyer's, sharpened
    if not _WORK_DONE.isdisjoint(toks) and not _OWNER.isdisjoint(toks):
        owned = next(i for i, tok in enumerate(toks) if tok in _OWNER)
        done = [i for i, tok in enumerate(toks) if tok in _WORK_DONE and i > owned + 1]
        if done:
            located = taxonomy.locate(toks)
            covered = {i for _tag, start, end in located for i in range(start, end)}
            # "my snowboard waxed", "my bike, need the tube swapped"; not "our kitchen … custom cabinets, painted
            # white", where a thing to be made comes between.
            made_between = [start for _tag, start, _end in located if owned + 1 < start]
            if any(i not in covered and not any(s < i for s in made_between) for i in done):
                return True
    first = 0
    while first < len(toks) and toks[first] in _LEAD_IN:
        first += 1
    if first >= len(toks) or (toks[first] not in _WORK_VERBS and toks[first] not in _WORK_VERBS_BEFORE_OBJECT):
        return False
    followed_by_object = first + 1 < len(toks) and toks[first + 1] in _OBJECT_WORDS
    if toks[first] not in _WORK_VERBS and not followed_by_object:
        return False
    named = {start: tag for tag, start, _end in taxonomy.locate(toks)}
    return first not in named or (followed_by_object and taxonomy.kind(named[first].id) != "process")


# What makers work with, bought rather than made to order: "embroidery thread", "screen printing ink", "candle wax".
_SUPPLIES = _stems(["ink", "inks", "thread", "threads", "resin", "resins", "plastisol", "hide", "hides", "wax",
                    "glaze", "glazes", "tinta", "tintas", "hilo", "hilos", "cera"])
# After a supply word, what shows it is the thing asked for: "resin for the 3D printer", "wax, 50 lb", "ink 5 gal".
_SUPPLY_HEAD_AFTER = _stems(["for", "para", "of", "de", "in", "en"])
_BULK_FORMS = _stems(["flakes", "flake", "pellets", "pellet", "pastilles", "beads", "slab", "slabs"])
_WEIGHED = re.compile(r"\d+(?:\.\d+)?(?:lb|lbs|pound|pounds|kg|kgs|kilo|kilos)")
_WEIGHTS = _stems(["lb", "lbs", "pound", "pounds", "kg", "kilo", "kilos", "libras"])


def _bulk_wax(toks: list[str], at: int) -> bool:
    """Whether the wax at token `at` comes as a maker's supply: in flakes or pellets, or weighed ("50 lb", "50lbs")."""
    after = toks[at + 1 : at + 3]
    return toks[at] == "wax" and bool(after) and (
        after[0] in _BULK_FORMS
        or (after[0].isdigit() and len(after) > 1 and after[1] in _WEIGHTS)
        or bool(_WEIGHED.fullmatch(after[0]))
    )


def asks_for_supplies(taxonomy: Taxonomy, toks: list[str]) -> bool:
    """Whether the request is for a maker's raw supplies ("embroidery thread, 40 spools", "resin for my 3D
    printer", "candle wax, 50 lb"): the supply word is the head of what is asked, with no thing named before it
    but the one it is for ("candle wax"); not "200 candles, soy wax", where the wax says what the candles are."""
    located = taxonomy.locate(toks)
    covered = {i for _tag, start, end in located for i in range(start, end)}
    for i, tok in enumerate(toks):
        if i in covered and _bulk_wax(toks, i):
            return True  # "soy wax flakes", "soy wax, 50 lb": the wax, though "soy wax" names candles too
        if tok not in _SUPPLIES or i in covered or (tok == "wax" and i > 0 and toks[i - 1] == "bee"):
            continue
        after = toks[i + 1] if i + 1 < len(toks) else None
        if after is not None and not (after in _SUPPLY_HEAD_AFTER or after.isdigit() or after in _UNIT_WORDS):
            continue
        things_before = [end for tag, _start, end in located if end <= i and taxonomy.kind(tag.id) != "process"]
        if all(end == i for end in things_before):
            return True
    return False


# The machine of a trade, not its work: "embroidery machine", "screen printing press", "welder machine miller 211".
_EQUIPMENT = _stems(["machine", "machines", "press", "presses", "maquina", "maquinas", "ماكينة", "آلة"])
# "sewing machine covers", "press brake parts": what follows makes it a thing for the machine, which is made.
_FOR_THE_MACHINE = _stems(["part", "parts", "cover", "covers", "guard", "guards", "stand", "stands", "table",
                           "tables", "cart", "carts", "mat", "mats", "bracket", "brackets", "mount", "mounts",
                           "enclosure", "enclosures", "brake", "fit", "fitted", "molded", "molding", "release"])

# Words of a class request that say nothing about its subject: "beginner welding class for kids on weekends".
CLASS_WORDS = _stems(
    ["class", "classes", "course", "courses", "run", "running", "operate", "operating", "use", "using",
     "lesson", "lessons", "training", "trainings", "workshop",
     "workshops", "session", "sessions", "seminar", "seminars", "camp", "camps", "program", "programs",
     "programme", "bootcamp", "certification", "certificate", "apprenticeship", "apprenticeships", "beginner",
     "beginners", "intro", "introductory", "introduction", "basic", "basics", "advanced", "intermediate",
     "hands", "on", "hands-on", "kids", "kid", "children", "child", "adult", "adults", "youth", "teen", "teens",
     "teenagers", "family", "families", "group", "groups", "private", "one", "evening", "evenings", "weekend",
     "weekends", "night", "nights", "morning", "afternoon", "summer", "winter", "spring", "fall", "after",
     "school", "field", "trip", "team", "building", "staff", "employee", "employees", "community", "free",
     "online", "in", "person", "in-person", "maker", "makers", "making", "make", "shop", "diy", "craft",
     "crafts", "crafting", "art", "arts", "stem", "steam", "skill", "skills", "trade", "trades", "learn",
     "learning", "teach", "teaching", "taught", "how", "of", "for", "to", "the", "a", "an", "and", "or", "our",
     "my", "some", "any", "need", "needs", "want", "wanted", "looking", "offer", "offered", "host", "book",
     "people", "students", "student", "class's", "day", "days", "week", "weekly", "monthly", "series",
     "clase", "clases", "curso", "cursos", "taller", "talleres", "leccion", "lecciones", "para", "ninos",
     "adultos", "principiantes", "de", "y", "دورة", "دورات", "درس", "دروس", "ورشة", "تدريب", "للاطفال"]
)


# The buyer's own tooling for a part: "we have the die", "our mold", "customer-owned tooling".
_TOOLING = _stems(["die", "dies", "mold", "molds", "mould", "moulds", "tooling", "molde", "moldes", "troquel"])
_OWNED = _stems(["have", "has", "own", "owned", "our", "ours", "existing", "provide", "supply", "tenemos", "nuestro",
                 "nuestros"])


def brings_tooling(toks: list[str]) -> bool:
    """Whether the buyer says they have the tooling ("we have the die", "our own mold", "existing tooling")."""
    return any(
        tok in _TOOLING and not _OWNED.isdisjoint(toks[max(i - 3, 0) : i]) for i, tok in enumerate(toks)
    )


def asks_for_a_repair(taxonomy: Taxonomy, toks: list[str]) -> bool:
    """Whether the request asks to repair something whose makers do not, as a trade, repair it ("garage door
    opener repair", "fix my lamp"), and no maker's trade names the repair ("bike repair", "chair repair", "jacket
    repair"). Only a maker who says they repair things can take it (see `offers_repairs`)."""
    found = taxonomy.locate(toks)
    covered = {i for _tag, start, end in found for i in range(start, end)}
    for i, tok in enumerate(toks):
        if tok not in _REPAIR or i in covered:
            continue
        before = i - 1
        if before >= 0 and toks[before] in _PURPOSE and any(end <= before for _tag, _start, end in found):
            continue  # a bracket to fix the shelf: the bracket is wanted
        return not any(taxonomy.is_mended_by_makers(tag.id) for tag, _start, _end in found)
    return False


def offers_repairs(phrases: Iterable[str]) -> bool:
    """Whether a maker says they repair or restore things ("repair and restoration", "we fix bikes")."""
    return any(tok in _MADE_GOOD for phrase in phrases for tok in tokens(phrase))


def asks_for_equipment(taxonomy: Taxonomy, toks: list[str]) -> bool:
    """Whether the request is for a trade's machine ("embroidery machine", "vinyl cutter machine") rather than
    its work; not for things made for a machine ("sewing machine covers")."""
    found = taxonomy.locate(toks)
    process_ends = {end for tag, _start, end in found if taxonomy.kind(tag.id) == "process"}
    item_starts = {start for tag, start, _end in found if taxonomy.kind(tag.id) != "process"}
    # "sewing machine servicing": the process's own phrase may end in the machine word.
    process_ends |= {end - 1 for tag, _start, end in found
                     if taxonomy.kind(tag.id) == "process" and toks[end - 1] in _EQUIPMENT}
    for i, tok in enumerate(toks):
        if tok in _EQUIPMENT and i in process_ends:
            rest = toks[i + 1 :]
            for_the_machine = bool(rest) and rest[0] in _FOR_THE_MACHINE
            if not for_the_machine and not any(j in item_starts for j in range(i + 1, len(toks))):
                return True
    return False


def asks_for_used(taxonomy: Taxonomy, toks: list[str]) -> bool:
    """Whether the request is for second-hand goods: "used office chairs", "office chairs, used"."""
    found = taxonomy.locate(toks)
    if not found or any(tok in _MADE_GOOD for tok in toks):
        return False
    starts = {start for _tag, start, _end in found}
    ends = {end for _tag, _start, end in found}
    for i, tok in enumerate(toks):
        pair = (tok, toks[i + 1]) if i + 1 < len(toks) else None
        width = 2 if pair in _USED_PAIRS else 1 if tok in _USED else 0
        if not width:
            continue
        after = i + width
        while after < len(toks) and toks[after] in _DETERMINERS:
            after += 1
        for j in range(after, min(after + 3, len(toks))):  # used chairs, used office chairs
            if toks[j] in _USED_HOW:
                break
            if j in starts:
                return True
        if i in ends and (after >= len(toks) or toks[after] not in _USED_HOW):
            return True  # chairs used; not "chairs used in our cafe"
    return False


def resells(phrase: str) -> bool:
    """Whether a maker's phrase offers goods second-hand ("refurbished bikes", "used pallets", "pre-owned")."""
    toks = tokens(phrase)
    return any(tok in _RESOLD for tok in toks) or any(pair in _USED_PAIRS for pair in itertools.pairwise(toks))


@dataclass(frozen=True)
class ClassSubject:
    """What a class request is about: trades the taxonomy knows ("pottery" → ceramics) and other words ("yoga")."""

    concepts: frozenset[str]
    words: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.concepts or self.words)


def class_subject(taxonomy: Taxonomy, toks: list[str]) -> ClassSubject:
    """The subject of a class request ("yoga" in "yoga class for kids", ceramics in "pottery class"); empty when
    nothing says what is taught ("hands-on classes for teens")."""
    concepts: set[str] = set()
    covered: set[int] = set()
    for tag, start, end in taxonomy.locate(toks):
        if not taxonomy.is_class(tag.id):
            concepts.add(tag.id)
            covered.update(range(start, end))
    words = {
        tok for i, tok in enumerate(toks)
        if i not in covered and tok not in CLASS_WORDS and not tok.isdigit() and len(tok) > 1
    }
    return ClassSubject(frozenset(concepts), frozenset(words))


def teaches_subject(
    taxonomy: Taxonomy, subject: ClassSubject, phrase: str, named: frozenset[str], by_words: bool = True
) -> bool:
    """Whether a class a maker lists is about the subject: it names the same trade or a close one ("ceramics
    classes" for a pottery class), and, `by_words`, most other words of the subject ("CAD" in "CAD classes").
    `named`: the concepts the taxonomy finds in the phrase."""
    toks = tokens(phrase)
    # "sewing classes" names the class that teaches sewing: it teaches what that class teaches.
    named = named | {node.teaches for c in named if (node := taxonomy.concept(c)) is not None and node.teaches}
    for concept in subject.concepts:
        near = {concept, *taxonomy.ancestors(concept), *taxonomy.descendants(concept), *taxonomy.processes_for(concept)}
        found = taxonomy.concept(concept)
        if found is not None:
            near |= found.makes
        if not near & named:
            return False
    if not by_words:
        return True
    # Most of the other words: "G-code and run a Haas" is taught where "G-code" and "Haas" are named.
    named_words = sum(any(w == s or (len(s) >= 5 and w.startswith(s[:5])) for w in toks) for s in subject.words)
    return named_words * 2 >= len(subject.words) and (named_words > 0 or not subject.words)
