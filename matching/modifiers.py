"""How and of what a product is made, in buyers' words: "CNC machined", "laser engraved", "in aluminum".

The one vocabulary the parser reads process and material modifiers from (trade words, English with the
common Spanish and Arabic forms). Each surface form maps to one canonical name, which is what
`ParsedRequest.process` and `ParsedRequest.material` report. If the taxonomy grows processes and
materials of its own, this table is the place to join them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import Indel, Levenshtein

from matching.text import ordinary_words, stem, tokens

# Canonical name → the words buyers write for it. Verbs and past participles both count: "powder coat 40
# railings" asks for the service, "powder coated railings" for the product.
PROCESSES: dict[str, tuple[str, ...]] = {
    "CNC machining": ("cnc", "cnc machined", "cnc machining", "cnc milled", "cnc milling", "cnc routed",
                      "machined", "machining", "milled", "mecanizado", "mecanizados", "mecanizadas",
                      "maquinado", "maquinados", "maquinadas", "maquinar", "mecanizar", "مشغول cnc", "تشغيل cnc"),
    "turning": ("turned", "turning", "lathe", "lathe turned", "cnc turned", "torneado", "torneados", "خراطه"),
    "laser cutting": ("laser cut", "laser cutting", "lasercut", "corte laser", "corte con laser", "cortar con laser",
                      "cortado con laser", "cortados con laser", "قص بالليزر", "مقصوص بالليزر"),
    "laser engraving": ("laser engraved", "laser engraving", "laser engrave", "laser etched", "laser etching",
                        "laser etch", "grabar con laser", "grabado laser", "grabado con laser", "grabados con laser",
                        "grabadas con laser", "حفر بالليزر", "محفور بالليزر"),
    "waterjet cutting": ("waterjet", "waterjet cut", "water jet cut", "waterjet cutting", "water jet cutting"),
    "welding": ("welded", "welding", "weld", "soldadura", "soldar", "soldado", "soldados", "لحام", "ملحوم"),
    "powder coating": ("powder coated", "powder coating", "powder coat", "powdercoated", "powdercoat",
                       "pintura en polvo", "pintura electrostatica", "pintar en polvo", "recubrimiento en polvo",
                       "طلاء بودره"),
    "anodizing": ("anodized", "anodised", "anodizing", "anodising", "anodize", "anodizado", "anodizados"),
    "plating": ("plated", "plating", "zinc plated", "zinc plating", "chrome plated", "chrome plating",
                "nickel plated", "galvanized", "galvanised", "galvanizing", "galvanizado", "cromado",
                "cromados", "طلاء كروم"),
    "casting": ("cast", "casting", "sand cast", "sand casting", "die cast", "die casting", "investment cast",
                "fundido", "fundidos", "fundicion", "fundir", "مصبوب"),
    "stamping": ("stamped", "stamping", "metal stamping", "troquelado", "troquelados"),
    "forging": ("forged", "forging", "hand forged", "forjado", "forjados", "مطروق"),
    "sheet metal forming": ("brake formed", "brake forming", "press brake"),
    "sandblasting": ("sandblasted", "sandblasting", "sandblast", "sand blasted", "bead blasted", "arenado"),
    "3D printing": ("3d printed", "3d printing", "3d print", "3 d printed", "impreso en 3d", "impresos en 3d",
                    "impresas en 3d", "impresion 3d", "imprimir en 3d", "impresion en 3d", "مطبوع ثلاثي الابعاد",
                    "طباعه ثلاثيه الابعاد"),
    "injection molding": ("injection molded", "injection moulded", "injection molding", "injection moulding",
                          "moldeado por inyeccion", "moldeados por inyeccion", "inyectado", "inyectados"),
    "thermoforming": ("thermoformed", "thermoforming", "vacuum formed", "vacuum forming", "termoformado",
                      "termoformados"),
    "screen printing": ("screen printed", "screen printing", "screen print", "screenprinted", "screenprinting",
                        "silk screened", "silkscreened", "silkscreen", "serigrafia", "serigrafiado",
                        "serigrafiados", "serigrafiadas", "serigrafiar", "طباعه حريريه"),
    "DTG printing": ("dtg", "dtg printed", "dtg printing", "direct to garment"),
    "sublimation": ("sublimated", "sublimation", "dye sublimated", "sublimado", "sublimados"),
    "embroidery": ("embroidered", "embroidery", "embroider", "bordar", "bordado", "bordados", "bordada", "bordadas",
                   "تطريز", "مطرز", "مطرزه"),
    "sewing": ("sewn", "sewing", "sew", "hand sewn", "stitched", "cut and sew", "cut sew", "coser", "cosido", "cosidos",
               "cosidas", "cosidas a mano", "خياطه", "مخيط"),
    "knitting": ("knit", "knitted", "knitting", "hand knit", "tejido a mano", "tejidos a mano"),
    "upholstery": ("upholstered", "upholstery", "upholster", "reupholster", "reupholstered", "tapizar", "tapizado",
                   "tapizados"),
    "letterpress": ("letterpress", "letterpressed"),
    "printing": ("printed", "printing", "imprimir", "impresion", "impreso", "impresos", "impresas", "مطبوع", "مطبوعه"),
    "engraving": ("engraved", "engraving", "engrave", "etched", "grabar", "grabado", "grabados", "grabadas", "محفور",
                  "محفوره"),
    "glassblowing": ("hand blown", "glassblowing", "glass blown", "soplado", "soplados"),
    "woodworking": ("handcrafted wood", "carved", "hand carved", "tallado", "tallados"),
    "baking": ("baked", "fresh baked", "baking", "hornear", "horneado", "horneados", "مخبوز"),
    "brewing": ("brewed", "brewing", "brew", "home brewed"),
    "distilling": ("distilled", "distilling", "distill", "destilar", "destilado", "destilados"),
}  # fmt: skip

MATERIALS: dict[str, tuple[str, ...]] = {
    "aluminum": ("aluminum", "aluminium", "alu", "aluminio", "الومنيوم", "المنيوم", "الالمنيوم"),
    "stainless steel": ("stainless", "stainless steel", "inox", "acero inoxidable", "ستانلس", "ستانلس ستيل"),
    "steel": ("steel", "mild steel", "carbon steel", "acero", "فولاذ"),
    "iron": ("iron", "cast iron", "wrought iron", "hierro", "hierro forjado", "حديد"),
    "brass": ("brass", "laton", "نحاس اصفر"),
    "copper": ("copper", "cobre", "نحاس"),
    "bronze": ("bronze", "bronce", "برونز"),
    "titanium": ("titanium", "titanio", "تيتانيوم"),
    "oak": ("oak", "white oak", "red oak", "roble", "بلوط"),
    "maple": ("maple", "arce"),
    "walnut": ("walnut", "black walnut", "nogal", "جوز"),
    "pine": ("pine", "pino"),
    "plywood": ("plywood", "triplay", "contrachapado", "خشب رقائقي"),
    "MDF": ("mdf",),
    "wood": ("wood", "wooden", "reclaimed wood", "hardwood", "madera", "خشب", "خشبي", "خشبيه"),
    "acrylic": ("acrylic", "plexiglass", "plexiglas", "plexi", "acrilico", "اكريليك"),
    "PLA": ("pla",),
    "ABS": ("abs",),
    "PETG": ("petg",),
    "nylon": ("nylon", "nailon", "نايلون"),
    "polycarbonate": ("polycarbonate", "policarbonato"),
    "polypropylene": ("polypropylene", "polipropileno"),
    "polyethylene": ("polyethylene", "hdpe", "ldpe", "polietileno"),
    "PVC": ("pvc",),
    "silicone": ("silicone", "silicona", "سيليكون"),
    "leather": ("leather", "cuero", "جلد", "جلدي", "جلديه"),
    "organic cotton": ("organic cotton", "algodon organico", "قطن عضوي"),
    "cotton": ("cotton", "algodon", "قطن", "قطني", "قطنيه"),
    "polyester": ("polyester", "poliester", "بوليستر"),
    "denim": ("denim", "mezclilla"),
    "canvas": ("canvas", "lona"),
    "wool": ("wool", "merino", "lana", "صوف"),
    "linen": ("linen", "lino", "كتان"),
    "glass": ("glass", "vidrio", "زجاج", "زجاجي"),
    "ceramic": ("ceramic", "stoneware", "porcelain", "ceramica", "porcelana", "سيراميك", "خزف"),
    "silver": ("silver", "sterling silver", "sterling", "plata", "فضه"),
    "gold": ("gold", "oro", "ذهب", "ذهبي"),
    "beeswax": ("beeswax", "cera de abeja"),
    "soy wax": ("soy wax",),
    "concrete": ("concrete", "concreto", "hormigon"),
    "cardboard": ("cardboard", "corrugated cardboard", "corrugated", "carton corrugado"),
    "vinyl": ("vinyl", "vinilo"),
}  # fmt: skip

# Words that place a material after the product: "brackets in aluminum", "6 parts cast in bronze",
# "juguetes de madera", "made of oak".
MATERIAL_LEADS = frozenset(tokens("in of from made out en de من"))
_TYPO_MIN = 7  # typos are read only in long words: "alumnum", "embroidred"; "milled" is not "filled"


@dataclass(frozen=True)
class Modifier:
    name: str  # canonical: "CNC machining", "aluminum"
    start: int  # first and one past the last token index
    end: int


def _keys(table: dict[str, tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    keyed = {tuple(tokens(form)): name for name, forms in table.items() for form in forms}
    return {key: keyed[key] for key in sorted(keyed, key=len, reverse=True) if key}


_PROCESS_KEYS = _keys(PROCESSES)
_MATERIAL_KEYS = _keys(MATERIALS)


def _widths(keys: dict[tuple[str, ...], str]) -> dict[str, tuple[int, ...]]:
    """For each first word, the lengths of the forms it opens, longest first."""
    out: dict[str, set[int]] = {}
    for key in keys:
        out.setdefault(key[0], set()).add(len(key))
    return {first: tuple(sorted(lengths, reverse=True)) for first, lengths in out.items()}


_WIDTHS = {"process": _widths(_PROCESS_KEYS), "material": _widths(_MATERIAL_KEYS)}
_KNOWN = {kind: frozenset(tok for key in keys for tok in key) for kind, keys in (("process", _PROCESS_KEYS),
                                                                                  ("material", _MATERIAL_KEYS))}


@cache
def _nearest(tok: str, kind: str) -> str | None:
    """A one-letter slip of a long vocabulary word ("alumnum" → "aluminum"), unless it is a word itself."""
    if len(tok) < _TYPO_MIN or not tok.isalpha() or stem(tok) in ordinary_words():
        return None
    near = [word for word in _KNOWN[kind] if len(word) >= _TYPO_MIN and word.isalpha()]
    found = [word for word in near if _slip(tok, word)]
    return found[0] if len(found) == 1 else None


def _slip(tok: str, word: str) -> bool:
    """One letter left out inside a word ("alumnum", "embroidred"), or, in longer words, one letter wrong or
    missing at the end ("aluminim", "stainles"). A word with its last letter gone or one letter changed is
    often another word: "machine" is not "machined", "wedding" not "welding"."""
    if Indel.distance(tok, word, score_cutoff=1) <= 1:
        return len(tok) >= _TYPO_MIN + 1 or not word.startswith(tok)
    return len(tok) >= _TYPO_MIN + 2 and Levenshtein.distance(tok, word, score_cutoff=1) <= 1


def _find(toks: list[str], kind: str) -> list[Modifier]:
    keys = _PROCESS_KEYS if kind == "process" else _MATERIAL_KEYS
    widths = _WIDTHS[kind]
    # Slips first, so a misspelt word still joins its phrase: "laser engravng", "3d printted".
    known = _KNOWN[kind]
    toks = [tok if tok in known else (_nearest(tok, kind) or tok) for tok in toks]
    out: list[Modifier] = []
    i = 0
    while i < len(toks):
        found = None
        for width in widths.get(toks[i], ()):
            window = tuple(toks[i : i + width])
            if len(window) == width and window in keys:  # near the end a window is cut short
                found = (keys[window], width)
                break
        if found:
            out.append(Modifier(found[0], i, i + found[1]))
            i += found[1]
        else:
            i += 1
    return out


def find_processes(toks: list[str]) -> list[Modifier]:
    """The process words among `toks` (stemmed tokens), longest form first: "laser engraved" before "engraved"."""
    return _find(toks, "process")


def find_materials(toks: list[str]) -> list[Modifier]:
    """The material words among `toks`; whether one describes the product is the caller's to judge."""
    return _find(toks, "material")
