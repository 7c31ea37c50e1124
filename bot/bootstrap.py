"""The one place where settings, database and taxonomy are wired together for a process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings, load_settings
from bot.db import Database
from matching.taxonomy import Taxonomy, load_taxonomy


@dataclass
class Runtime:
    settings: Settings
    db: Database
    taxonomy: Taxonomy


def start(settings: Settings | None = None, *, ensure_schema: bool = True) -> Runtime:
    """Read settings (raises ConfigError), open the database and bring a fresh SQLite file up to date."""
    settings = settings or load_settings()
    db = Database(settings.database_url)
    if ensure_schema:
        db.ensure_schema()
    return Runtime(settings=settings, db=db, taxonomy=load_taxonomy())
