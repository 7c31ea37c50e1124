"""A built directory kept in a file, so that a new process starts in a moment instead of tagging every phrase again.

The file names the database it came from (its random `directory_version.token`), the change counter it reflects,
when it was built, and a fingerprint of the code and taxonomy that built it. A process loads it only when all of
these fit, then follows the changes made since (bot/maker_changes.py) like any running process would. Only
directories of SAVE_AT_LEAST phrases or more are kept: smaller ones build in about a second.

The files live in the cache directory (MAKERLINK_CACHE_DIR, by default ~/.cache/makerlink), one per database,
readable by their owner only: loading one runs what it holds, like the code itself. A file that cannot be written
or read is skipped, never an error: the process builds from the database instead.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np

from matching.directory import Directory
from matching.taxonomy import Taxonomy

SAVE_AT_LEAST = 20_000  # phrases
FORMAT = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Header:
    """What a saved directory is of: checked before the directory itself is read."""

    format: int
    fingerprint: str
    token: str  # the database's
    seq: int  # the change counter the directory reflects
    checked_at: datetime  # who could be asked was decided at this time


@functools.cache
def fingerprint() -> str:
    """Of everything a saved directory depends on: the matching package (code and taxonomy), how makers become
    profiles, and the Python and numpy that wrote it."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {np.__version__}".encode())
    sources = [resources.files("matching"), resources.files("matching.data"), resources.files("bot.services")]
    for folder in sources:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_file() and (folder.name != "services" or entry.name in ("makers.py", "maker_import.py")):
                digest.update(entry.name.encode())
                digest.update(entry.read_bytes())
    return digest.hexdigest()[:32]


def path_for(folder: Path, database_url: str) -> Path:
    """The file of one database: named by a hash of its URL, so the URL (and its password) is not written down."""
    return folder / f"directory-{hashlib.sha256(database_url.encode()).hexdigest()[:16]}.pickle"


def save(path: Path, directory: Directory, header: Header) -> bool:
    """Write the file whole or not at all (a temporary file renamed over the old one); False when it cannot be."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError as error:
        log.info("directory snapshot not saved: %s", error.strerror or error)
        return False
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(header, file, protocol=pickle.HIGHEST_PROTOCOL)
            directory.save(file)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError) as error:
        log.info("directory snapshot not saved: %s", error)
        Path(temporary).unlink(missing_ok=True)
        return False
    return True


def load(path: Path, taxonomy: Taxonomy, token: str, seq: int) -> tuple[Header, Directory] | None:
    """The directory saved for this database, when it was made by this code and reflects no change beyond `seq`."""
    try:
        with path.open("rb") as file:
            header = pickle.load(file)
            if not _fits(header, token, seq):
                return None
            return header, Directory.load(file, taxonomy)
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: build from the database instead
        log.info("directory snapshot not used: %s", type(error).__name__)
        return None


def _fits(header: object, token: str, seq: int) -> bool:
    return (
        isinstance(header, Header)
        and header.format == FORMAT
        and header.fingerprint == fingerprint()
        and header.token == token
        and bool(token)
        and header.seq <= seq
    )
