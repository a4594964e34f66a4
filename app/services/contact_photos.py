"""Contact photos: checking a picture file before it goes to the server, decoding what the server holds, and the
cache of directory photos (:class:`DirectoryPhotos`).

Functions here read files and decode images; call them from worker tasks (``ContactsService`` does), never on
the GUI thread. ``QImage`` is safe to use outside the GUI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QImage

from app.domain.errors import MailroomError

#: Exchange's limit for a contact picture is 4 MB (larger pictures are refused by Outlook as well).
MAX_PHOTO_BYTES = 4 * 1024 * 1024
#: Content types by file signature; a contact picture must be one of these.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class PhotoChange:
    """What a save does with a contact's picture: ``data`` None removes it."""

    data: bytes | None
    content_type: str = "image/jpeg"

    @property
    def removes(self) -> bool:
        return self.data is None


def content_type_of(data: bytes) -> str:
    """The picture's content type from its first bytes, or "" for anything that is not a supported image."""
    return next((kind for signature, kind in _SIGNATURES if data.startswith(signature)), "")


def decode(data: bytes) -> QImage | None:
    """The picture as an image, or None when it cannot be decoded."""
    image = QImage.fromData(QByteArray(data))
    return None if image.isNull() else image


def read_photo(path: Path) -> PhotoChange:
    """Read and check a picture file for a contact.

    Raises:
        MailroomError: The file cannot be read, is larger than 4 MB, is not a PNG, JPEG, GIF or BMP image, or
            cannot be decoded (the text says which).
    """
    try:
        size = path.stat().st_size
        if size > MAX_PHOTO_BYTES:
            raise MailroomError(f"{path.name} is {size / 1048576:.1f} MB; a contact photo may be at most 4 MB.")
        data = path.read_bytes()
    except OSError as error:
        raise MailroomError(f"Could not read {path.name}: {error.strerror or error}.") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise MailroomError(f"{path.name} is larger than 4 MB; a contact photo may be at most 4 MB.")
    kind = content_type_of(data)
    if not kind:
        raise MailroomError(f"{path.name} is not a picture: choose a PNG, JPEG, GIF or BMP image.")
    if decode(data) is None:
        raise MailroomError(f"{path.name} looks like an image but cannot be read; it may be damaged.")
    return PhotoChange(data, kind)


class DirectoryPhotos:
    """Directory photos (GetUserPhoto) already asked for, per address: the picture, or None for "has none".

    Written by worker tasks and read on the GUI thread, hence the lock. At most ``limit`` addresses are kept
    (the oldest answer is dropped first); a person is asked for again only after being dropped.
    """

    def __init__(self, limit: int = 500) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._photos: dict[str, QImage | None] = {}

    def lookup(self, address: str) -> tuple[bool, QImage | None]:
        """``(known, picture)``: whether the server was asked already, and its answer (None: no photo)."""
        with self._lock:
            key = address.strip().casefold()
            return key in self._photos, self._photos.get(key)

    def remember(self, address: str, image: QImage | None) -> None:
        """Keep the server's answer for ``address``."""
        with self._lock:
            key = address.strip().casefold()
            self._photos.pop(key, None)
            if len(self._photos) >= self._limit:
                self._photos.pop(next(iter(self._photos)))
            self._photos[key] = image
