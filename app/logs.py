"""Logging: a rotating file in the platform's log folder, warnings on stderr, and no secrets or mail in either.

Policy:

* The file (``platformdirs.user_log_dir("Mailroom")/mailroom.log``, 1 MB x 5) gets INFO and up (DEBUG with
  ``--debug``); stderr gets WARNING and up (DEBUG with ``--debug``).
* Every line written anywhere goes through :class:`Redactor`: passwords and ``password=…``-style pairs,
  ``Authorization`` / ``Proxy-Authorization`` values (Basic, NTLM, Negotiate, Bearer), tokens and any secret
  registered with :func:`register_secret` (the passwords the app handles) are replaced by ``<redacted>`` — in
  the message, its arguments and the traceback.
* Message bodies are never logged: Mailroom's own code logs ids, folders and counts, never content; the
  libraries that would (exchangelib logs whole SOAP requests and responses, bodies included, at DEBUG, and the
  failing request at ERROR) are cut down on the file: :class:`LibraryLinesOnly` drops their records below INFO
  even with ``--debug``, and :class:`FileFormatter` cuts the rest at the first line break and to 300 characters
  (no traceback). Only the console (``--debug``) shows their full output, still redacted.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Mailroom"
LOG_FILE = "mailroom.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
REDACTED = "<redacted>"
#: Loggers of libraries that may log content (exchangelib: SOAP with bodies; qt: Qt's own messages, which include
#: QtWebEngine's): only their short, INFO+ lines reach the file.
LIBRARY_LOGGERS = ("exchangelib", "requests_ntlm", "spnego", "urllib3", "requests", "cached_property", "qt")
LIBRARY_LINE_CHARS = 300

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

_PATTERNS = (
    # Authorization: Basic dXNlcjpwYXNz / 'Authorization': 'NTLM TlRMTVNT…' / WWW-Authenticate: Negotiate …
    re.compile(r"""((?:proxy-|www-)?authori[sz]ation['"]?\s*[:=]\s*['"]?)[^'",}\r\n]+""", re.IGNORECASE),
    re.compile(r"""((?:proxy-|www-)?authenticate['"]?\s*[:=]\s*['"]?)[^'",}\r\n]+""", re.IGNORECASE),
    # bare scheme + credentials anywhere (a header value printed without its name)
    re.compile(r"""\b((?:Basic|NTLM|Negotiate|Bearer)\s+)(?=[a-z._~-]*[A-Z0-9+/=])[A-Za-z0-9+/=._~-]{12,}"""),
    # password=…, "password": "…", passwd: …, client_secret=…, access_token=…, api-key: …
    re.compile(
        r"""((?:password|passwd|pwd|secret|client_secret|(?:access|refresh|id|auth)?_?token|api[-_]?key)"""
        r"""['"]?\s*[:=]\s*['"]?)[^'"&,;}\s]+""",
        re.IGNORECASE,
    ),
    # <t:Password>…</t:Password> or any XML element named like a secret
    re.compile(r"(<(?:\w+:)?(?:Password|Token|Secret)\b[^>]*>)[^<]*", re.IGNORECASE),
)


def register_secret(value: str) -> None:
    """Never write ``value`` to any log (a password the app holds); short values are ignored."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with credentials and registered secrets replaced by ``<redacted>``."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class Redactor(logging.Filter):
    """Scrubs a record's message, arguments and exception text before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line too (a handler-level guard for anything a filter could not see)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class LibraryLinesOnly(logging.Filter):
    """For the log file: third-party records only from INFO up (see :class:`FileFormatter` for the rest).

    exchangelib's DEBUG records are the raw SOAP traffic (message bodies included); they never reach the file.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or not _is_library(record)


class FileFormatter(RedactingFormatter):
    """A third-party record as one line of at most 300 characters, without traceback (the console keeps all).

    exchangelib's ERROR record of a failed request appends the whole request and response to its first line.
    """

    def format(self, record: logging.LogRecord) -> str:
        if not _is_library(record):
            return super().format(record)
        short = logging.makeLogRecord(record.__dict__)
        short.msg = record.getMessage().split("\n", 1)[0][:LIBRARY_LINE_CHARS]
        short.args, short.exc_info, short.exc_text, short.stack_info = None, None, None, None
        return super().format(short)


def _is_library(record: logging.LogRecord) -> bool:
    return record.name.split(".", 1)[0] in LIBRARY_LOGGERS


@dataclass
class LogSetup:
    """What :func:`setup` installed; :meth:`close` removes it (tests, and the end of ``main``)."""

    path: Path
    file_handler: logging.Handler
    console_handler: logging.Handler
    previous_level: int

    def close(self) -> None:
        """Detach and close both handlers and restore the root level."""
        root = logging.getLogger()
        for handler in (self.file_handler, self.console_handler):
            root.removeHandler(handler)
            handler.close()
        root.setLevel(self.previous_level)
        logging.captureWarnings(False)


def log_dir() -> Path:
    """The platform's log folder for Mailroom (``~/.local/state/Mailroom/log`` on Linux)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def setup(*, debug: bool = False, directory: Path | None = None) -> LogSetup:
    """Log to a rotating file in ``directory`` (default :func:`log_dir`) and to stderr, redacted.

    Args:
        debug: DEBUG to the file (the app's own records) and to stderr (everything, libraries included).
        directory: Where ``mailroom.log`` goes.

    Returns:
        The installed handlers (call ``close()`` to remove them).
    """
    folder = directory or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    redactor = Redactor()
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                        encoding="utf-8", delay=True)
    file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
    file_handler.addFilter(LibraryLinesOnly())
    file_handler.addFilter(redactor)
    file_handler.setFormatter(FileFormatter(FORMAT))
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    console.addFilter(redactor)
    console.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(file_handler)
    root.addHandler(console)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.captureWarnings(True)
    return LogSetup(path, file_handler, console, previous)
