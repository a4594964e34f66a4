"""Safe local file names for attachments, and save paths that never overwrite a file.

An attachment's name comes from whoever sent the mail: it may carry directories (``../../.bashrc``,
``C:\\Windows\\evil.dll``), control or bidirectional-override characters (``invoice\u202efdp.exe`` shows as
``invoiceexe.pdf``), names Windows reserves (``CON``, ``COM1``), characters Windows or macOS refuse, trailing dots
and spaces that Windows silently drops, or hundreds of characters. :func:`safe_filename` makes it a plain name
that is valid on Windows, macOS and Linux; :func:`unique_path` picks a free name in a folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

DEFAULT_NAME = "attachment"
MAX_NAME_BYTES = 200  # UTF-8 bytes: below every common file system's 255, with room for " (123)"
_MAX_EXTENSION_CHARS = 16
_INVALID_CHARS = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {
        f"{base}{suffix}"
        for base in ("COM", "LPT")
        for suffix in (*"123456789", "0", "\u00b9", "\u00b2", "\u00b3")
    }
)
_COMPOUND_EXTENSIONS = frozenset({"gz", "bz2", "xz", "zst", "lz", "lzma", "z"})
_COPY_NUMBER = re.compile(r"^(?P<stem>.*?) \((?P<number>\d{1,6})\)$")


def _drop_invisible(text: str) -> str:
    # Control characters (Cc), format characters (Cf: bidi overrides, zero-width joiners, BOM), separators other
    # than the plain space (line/paragraph separators), unassigned/private/surrogate code points.
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char == " ":
            out.append(char)
        elif category in ("Zs",):
            out.append(" ")
        elif category[0] == "C" or category in ("Zl", "Zp"):
            continue
        else:
            out.append(char)
    return "".join(out)


def _split_extension(name: str) -> tuple[str, str]:
    """("report", ".pdf"), ("backup", ".tar.gz"), ("README", "")."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension or len(extension) > _MAX_EXTENSION_CHARS or " " in extension:
        return name, ""
    if extension.lower() in _COMPOUND_EXTENSIONS:
        inner_stem, inner_dot, inner = stem.rpartition(".")
        if inner_dot and inner_stem and inner.lower() == "tar":
            return inner_stem, f".{inner}.{extension}"
    return stem, f".{extension}"


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: str) -> str:
    """A file name that is safe to create in any folder on Windows, macOS and Linux.

    Keeps only the last path component, removes control, format (bidi) and invalid characters, trims leading dots
    (no hidden files, no ``..``) and trailing dots and spaces, avoids Windows' reserved device names, and limits
    the length to :data:`MAX_NAME_BYTES` UTF-8 bytes while keeping the extension. Never returns an empty name.

    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("CON.txt")
    '_CON.txt'
    """
    text = unicodedata.normalize("NFC", name or "")
    text = _drop_invisible(text)
    # Both separators on every platform: a name made on Windows is unsafe on Linux and the other way round.
    components = [part for part in re.split(r"[/\\]", text) if part.strip(" .")]
    text = components[-1] if components else ""
    text = _INVALID_CHARS.sub("_", text)
    text = re.sub(r" {2,}", " ", text).strip(" ")
    had_leading_dot = text.startswith(".")
    text = text.lstrip(". ").rstrip(". ")
    if had_leading_dot and "." not in text and text:
        text = f"{DEFAULT_NAME}.{text}"  # ".pdf" -> "attachment.pdf"
    if not text:
        return DEFAULT_NAME

    stem, extension = _split_extension(text)
    device = stem.split(".", 1)[0].rstrip(" ").upper()
    if device in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    if len((stem + extension).encode("utf-8")) > MAX_NAME_BYTES:
        extension = _truncate_utf8(extension, _MAX_EXTENSION_CHARS * 4)
        stem = _truncate_utf8(stem, MAX_NAME_BYTES - len(extension.encode("utf-8"))).rstrip(". ")
        if not stem:
            stem = DEFAULT_NAME
    return stem + extension


def unique_path(folder: Path, name: str) -> Path:
    """A path in ``folder`` for ``name`` (made safe) that does not exist yet: "report.pdf", "report (2).pdf", …

    The check and the later creation are not atomic: create the file with exclusive mode (``open(path, "xb")``)
    and call again on ``FileExistsError``.
    """
    safe = safe_filename(name)
    candidate = folder / safe
    if not os.path.lexists(candidate):
        return candidate
    stem, extension = _split_extension(safe)
    first = 2
    numbered = _COPY_NUMBER.match(stem)
    if numbered:
        stem, first = numbered.group("stem"), int(numbered.group("number")) + 1
    for number in range(first, first + 100_000):
        candidate = folder / f"{stem} ({number}){extension}"
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"No free file name for {safe} in {folder}")
