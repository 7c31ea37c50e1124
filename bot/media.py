"""Pictures and drawings: what a file really is, cleaned, kept, and handed out through signed links that expire.

Provider-free: the channels fetch the bytes (Telegram getFile, Twilio's media URLs) and hand them here; the
services link what is kept to requests and answers (bot/services/pictures.py).

- What a file is comes from its bytes, never its name or the type its sender claimed: an image is whatever
  Pillow can open and verify; a PDF starts with ``%PDF-``. Anything else is refused.
- Every image is decoded and encoded again (JPEG, or PNG where it has transparency), turned upright first, and
  saved with no metadata at all: a phone photo's EXIF, GPS position included, never reaches the other side.
  Large images are scaled down to MAX_SIDE pixels, which MMS carriers need anyway.
- PDFs are kept as they came (size-limited) and always sent as an attachment, never shown inline.
- Files are stored under their content hash (``<sha256>.jpg``): the same picture sent twice is one file.
- Links are ``PUBLIC_URL/media/<token>``: the token is the file's key signed with itsdangerous (keyed by
  MAKERLINK_SECRET_KEY) and stamped with its time; the web app serves nothing without a valid, unexpired one.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from PIL import Image, ImageOps, UnidentifiedImageError

from bot import texts

MAX_BYTES = 10 * 1024 * 1024  # what is accepted from anyone (Telegram's getFile stops at 20 MB; Twilio's MMS at 5)
MAX_PIXELS = 40_000_000  # a larger image is a decompression bomb, whatever its file size
MAX_SIDE = 2048  # longest side once re-encoded: enough to read a drawing, small enough for MMS
JPEG_QUALITY = 85
LINK_LIFETIME = timedelta(days=7)  # how long a link in an SMS or MMS stays good
_SALT = "makerlink.media"
_KEY = re.compile(r"^[0-9a-f]{64}\.(jpg|png|pdf)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"})
log = logging.getLogger(__name__)


class Refused(Exception):
    """A file that is not kept: `name` is the sentence in bot/texts.py that says why (one sentence for whoever
    sent it), `fields` its values; `sentence(t)` says it in catalogue `t`'s language."""

    def __init__(self, name: str, **fields: object) -> None:
        super().__init__(name)
        self.name = name
        self.fields = fields

    def sentence(self, t: object = None) -> str:
        template = getattr(t if t is not None else texts, self.name, None) or getattr(texts, self.name)
        return str(template).format(**self.fields)

    @property
    def reason(self) -> str:
        return self.sentence()


@dataclass(frozen=True)
class Cleaned:
    """A file fit to keep and pass on: re-encoded (images) or checked (PDFs)."""

    data: bytes
    extension: str  # jpg, png or pdf

    @property
    def key(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()}.{self.extension}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


@dataclass(frozen=True)
class Stored:
    """A file kept in the store: what the database records of it."""

    key: str
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def clean(data: bytes) -> Cleaned:
    """The file made safe to keep, judged on its bytes; raises Refused with one sentence otherwise."""
    if not data:
        raise Refused("PICTURE_UNREADABLE")
    if len(data) > MAX_BYTES:
        raise Refused("PICTURE_TOO_BIG", limit_mb=MAX_BYTES // (1024 * 1024))
    if data.startswith(b"%PDF-"):
        return Cleaned(data, "pdf")
    return _clean_image(data)


def _clean_image(data: bytes) -> Cleaned:
    # MAX_PIXELS is checked before anything is decoded, and is below Pillow's own bomb limit, whose warning (a
    # process-wide setting to make an error of) is therefore never reached.
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _IMAGE_FORMATS:
                raise Refused("PICTURE_WRONG_KIND")
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused("PICTURE_TOO_BIG_PIXELS")
            probe.verify()  # the whole file checked; `probe` cannot be used after this
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)  # an animation keeps its first frame
            if image.format == "JPEG":
                # A large photo is decoded straight at the smallest scale (1/2, 1/4, 1/8) still at least MAX_SIDE
                # on both sides: less work, and the result is scaled down to MAX_SIDE anyway.
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            upright = ImageOps.exif_transpose(image)  # the camera's orientation, applied before EXIF goes
            return _encode(upright)
    except Refused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise Refused("PICTURE_WRONG_KIND") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise Refused("PICTURE_UNREADABLE") from None


def _encode(image: Image.Image) -> Cleaned:
    """A fresh file from the pixels alone: no EXIF, XMP, ICC or text chunks are carried over."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if transparent else "RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)  # a new image: nothing of the original's `info` comes along
    out = io.BytesIO()
    if transparent:
        pixels.save(out, "PNG", optimize=True)
        return Cleaned(out.getvalue(), "png")
    pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Cleaned(out.getvalue(), "jpg")


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


class MediaStore:
    """Files under one directory (MAKERLINK_MEDIA_DIR), named by their content hash."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, cleaned: Cleaned) -> Stored:
        """Keep the file (once: the same bytes are the same file) and say what was kept."""
        key = cleaned.key
        path = self.root / key
        if path.exists():
            os.utime(path)  # kept again: retention counts from now (bot/services/pictures.py prunes by age)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            # Written aside, then renamed: a reader never finds half a file.
            handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(cleaned.data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return Stored(key=key, content_type=cleaned.content_type, size=len(cleaned.data))

    def read(self, key: str) -> bytes | None:
        if not valid_key(key):
            return None
        try:
            return (self.root / key).read_bytes()
        except OSError:
            return None

    def delete(self, key: str) -> None:
        if valid_key(key):
            (self.root / key).unlink(missing_ok=True)

    def stored_keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [path.name for path in self.root.iterdir() if valid_key(path.name)]


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


class MediaLinks:
    """Signed, expiring links to stored files at PUBLIC_URL/media/<token>."""

    def __init__(self, secret: str, public_url: str, lifetime: timedelta = LINK_LIFETIME) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.public_url = public_url.rstrip("/")
        self.lifetime = lifetime

    def url(self, key: str) -> str:
        return f"{self.public_url}/media/{self.token(key)}"

    def token(self, key: str) -> str:
        return str(self._serializer.dumps(key))

    def key_of(self, token: str) -> str | None:
        """The file a token names, or None for one forged, altered or expired: the caller tells nobody which."""
        try:
            key = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except (SignatureExpired, BadSignature, UnicodeDecodeError, ValueError):
            return None
        return key if isinstance(key, str) and valid_key(key) else None


def signing_secret(secret_key: str | None, *fallbacks: str | None) -> str | None:
    """MAKERLINK_SECRET_KEY; without it a key derived from a provider secret (the same in every process, and
    secret), so that links work on an installation that has no console."""
    if secret_key:
        return secret_key
    for fallback in fallbacks:
        if fallback:
            return hashlib.sha256(f"makerlink-media:{fallback}".encode()).hexdigest()
    return None
