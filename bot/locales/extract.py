"""Regenerate bot/locales/messages.pot from bot/texts.py and bring every catalogue up to date.

    python -m bot.locales.extract            # messages.pot, and each xx.po updated (new texts added, empty)
    python -m bot.locales.extract --new fr   # also start fr.po, with French's plural forms in its header

A text whose English changed keeps its old translation marked fuzzy, which is not used until a translator
reviews it and removes the mark. See docs/translating.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.locales import SOURCE_LANGUAGE, reader_texts
from bot.texts import Plural

FOLDER = Path(__file__).parent
TEMPLATE = FOLDER / "messages.pot"
PROJECT = "makerlink"
# Fixed, so regenerating without a change leaves the files byte for byte as they were.
EPOCH = datetime(2026, 1, 1)
WIDTH = 120  # lines of the catalogues, as the translators write them


def template() -> Catalog:
    """Every text a buyer or maker reads, as gettext messages with the text's name as their context."""
    catalog = Catalog(project=PROJECT, creation_date=EPOCH, revision_date=EPOCH, fuzzy=False)
    for name, english in reader_texts().items():
        if isinstance(english, Plural):
            catalog.add((english.one, english.other), context=name)
        elif isinstance(english, Mapping):
            for key, value in english.items():
                if isinstance(value, str):
                    catalog.add(value, context=f"{name}.{key}")
        else:
            catalog.add(english, context=name)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as out:
        write_po(out, catalog, width=WIDTH, sort_output=False, ignore_obsolete=True)


def update(language: str, source: Catalog) -> Path:
    """Bring `language`'s catalogue in step with the template; start it if there is none."""
    path = FOLDER / f"{language}.po"
    if path.exists():
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
    else:
        catalog = Catalog(locale=Locale.parse(language), project=PROJECT, creation_date=EPOCH, revision_date=EPOCH)
    catalog.update(source)
    _write(path, catalog)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.locales.extract", description=__doc__.split("\n")[0])
    parser.add_argument("--new", action="append", default=[], metavar="LANG", help="start a catalogue for LANG")
    args = parser.parse_args(argv)
    source = template()
    _write(TEMPLATE, source)
    print(f"{TEMPLATE}: {len(source)} texts")
    languages = sorted({p.stem for p in FOLDER.glob("*.po")} | set(args.new))
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        path = update(language, source)
        print(f"{path}: updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
