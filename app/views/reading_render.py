"""Turning a message body into a safe document fragment off the GUI thread, and collecting its inline images.

The pane starts a :class:`RenderJob` per rendering; the job sanitises the body (:mod:`app.domain.sanitize`) in a
worker and posts a :class:`Rendered` back through a :class:`RenderBridge`, whose signal Qt delivers on the GUI
thread. Every rendering carries a generation number so that the pane can drop results it no longer wants.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, Signal

from app.domain.messages import MessageDetail
from app.domain.sanitize import normalize_cid, sanitize_html, text_to_html
from app.views.webview import InlineImage


@dataclass(frozen=True)
class Rendered:
    """One finished rendering of a message body.

    Attributes:
        generation: The pane's rendering counter when the job started.
        fragment: The sanitised HTML fragment (plain text bodies are converted).
        blocked_remote: Remote references the sanitiser blocked.
        inline_cids: Content-IDs the body shows inline (those parts are not listed as attachments).
        allow_remote: Remote content was allowed for this rendering.
    """

    generation: int
    fragment: str
    blocked_remote: int
    inline_cids: frozenset[str]
    allow_remote: bool


class RenderBridge(QObject):
    """Carries a finished rendering from the worker to the GUI thread.

    Signals:
        done(Rendered): A rendering finished.
    """

    done = Signal(object)  # Rendered


class RenderJob(QRunnable):
    """Sanitises one message body in a worker and reports through ``bridge``."""

    def __init__(
        self, bridge: RenderBridge, generation: int, detail: MessageDetail, allow_remote: bool
    ) -> None:
        super().__init__()
        self._bridge = bridge
        self._generation = generation
        self._detail = detail
        self._allow_remote = allow_remote

    def run(self) -> None:
        detail = self._detail
        if detail.body_html is not None:
            result = sanitize_html(detail.body_html, allow_remote=self._allow_remote)
            rendered = Rendered(
                self._generation, result.html, result.blocked_remote, result.inline_cids, self._allow_remote
            )
        else:
            rendered = Rendered(
                self._generation, text_to_html(detail.body_text or ""), 0, frozenset(), self._allow_remote
            )
        with contextlib.suppress(RuntimeError):  # the pane went away while this ran
            self._bridge.done.emit(rendered)


def sniff_image_type(data: bytes) -> str:
    """The image type of ``data`` from its first bytes ("application/octet-stream" when unknown)."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
    )
    for magic, content_type in signatures:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def inline_parts(detail: MessageDetail, inline_images: Mapping[str, bytes]) -> dict[str, InlineImage]:
    """The inline images the view may serve, keyed by Content-ID.

    Args:
        detail: The message (its attachments name the parts and give their types).
        inline_images: Content of inline parts, keyed by Content-ID or attachment id.
    """
    by_cid = {normalize_cid(a.content_id): a for a in detail.attachments if a.content_id}
    by_id = {a.attachment_id: a for a in detail.attachments}
    parts: dict[str, InlineImage] = {}
    for key, content in inline_images.items():
        attachment = by_id.get(key) or by_cid.get(normalize_cid(key))
        cid = attachment.content_id if attachment is not None and attachment.content_id else key
        content_type = attachment.content_type if attachment is not None else ""
        if not content_type.startswith("image/"):
            content_type = sniff_image_type(content)
        parts[cid] = InlineImage(content, content_type)
    return parts
