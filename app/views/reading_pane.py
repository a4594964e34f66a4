"""The reading pane: a message's header, categories, attachments and its body rendered safely.

The body is sanitised off the GUI thread (:mod:`app.views.reading_render`, using :mod:`app.domain.sanitize`) and
shown in the locked-down :class:`~app.views.webview.MessageView`. The pane never saves, opens or fetches anything
itself: it asks through its signals and the window does the work.

The parts live next to this module: :mod:`~app.views.reading_header` (subject, people, date, with
:mod:`~app.views.reading_avatar` and :mod:`~app.views.reading_categories`), :mod:`~app.views.reading_banner`,
:mod:`~app.views.reading_attachments` and :mod:`~app.views.reading_link_dialog`. The names this module used to
define are still importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import Qt, QThreadPool, QUrl, Signal
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QStackedLayout, QToolButton, QVBoxLayout, QWidget

from app.domain.categories import Category
from app.domain.meetings import meeting_kind
from app.domain.messages import MessageDetail
from app.domain.sanitize import normalize_cid
from app.views.meeting_bar import MeetingBar
from app.views.reading_attachments import AttachmentsBar
from app.views.reading_banner import RemoteContentBanner
from app.views.reading_flow_layout import FlowLayout
from app.views.reading_format import format_size, format_when, person_name, sender_line
from app.views.reading_header import ReadingHeader
from app.views.reading_link_dialog import LinkConfirmDialog
from app.views.reading_render import RenderBridge, Rendered, RenderJob, inline_parts
from app.views.webview import MessageView, build_document

__all__ = [
    "FlowLayout",
    "LinkConfirmDialog",
    "ReadingPane",
    "format_size",
    "format_when",
    "person_name",
    "sender_line",
]

_PANE_STYLE = """
#readingPane, #readingContent { background: palette(base); }
#readingHeader { background: palette(base); }
#readingSeparator { background: palette(midlight); max-height: 1px; min-height: 1px; border: none; }
#remoteBanner { background: #fff4ce; border: 1px solid #efd98c; border-radius: 6px; }
#remoteBanner QLabel { color: #4a3a00; }
#remoteBanner QPushButton {
    color: #0b62c4; background: transparent; border: none; font-weight: 600; padding: 2px 4px;
}
#remoteBanner QPushButton:hover { text-decoration: underline; }
#remoteBanner QPushButton:focus { outline: 1px dotted #0b62c4; }
QToolButton#attachmentButton {
    border: 1px solid #d5dbe1; border-radius: 6px; background: palette(base);
}
QToolButton#attachmentButton:hover { background: #f3f6f9; border-color: #b7c0c9; }
QToolButton#attachmentButton:pressed { background: #e8edf2; }
QToolButton#attachmentButton:focus { border: 1px solid palette(highlight); }
QLabel#attachmentSize { color: #68737d; }
QLabel#placeholderLabel { color: palette(mid); }
"""


class ReadingPane(QWidget):
    """Shows one message; asks the window to save attachments and open links.

    Signals:
        save_attachment_requested(AttachmentInfo): The user chose "Save as…" for an attachment.
        open_link_requested(QUrl): The user clicked a link and confirmed its real target; open it outside the app.
        remote_content_requested(): The user asked to see this message's remote content (the pane re-renders).
        body_loaded(bool): The message body finished rendering (ok).
        meeting_shown(MessageDetail, MeetingKind): A meeting request or cancellation is shown (the
            :attr:`meeting_bar` waits for its details).
        add_to_calendar_requested(AttachmentInfo): The user chose "Add to calendar…" for an iCalendar attachment.
    """

    save_attachment_requested = Signal(object)
    meeting_shown = Signal(object, object)
    add_to_calendar_requested = Signal(object)
    open_link_requested = Signal(QUrl)
    remote_content_requested = Signal()
    body_loaded = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingPane")
        self.setAccessibleName("Reading pane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(_PANE_STYLE)

        self._master: dict[str, Category] = {}
        self._detail: MessageDetail | None = None
        self._inline_images: dict[str, bytes] = {}
        self._allow_remote = False
        self._generation = 0
        self._blocked_by_sanitizer = 0
        self._link_dialog: LinkConfirmDialog | None = None

        # Order matters for destruction (children go in creation order): the pool waits for a running job, which
        # may still emit on the bridge, so the bridge must outlive the pool.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = RenderBridge(self)
        self._bridge.done.connect(self._on_rendered)

        self._stack = QStackedLayout(self)
        self.placeholder = QLabel("", self)
        self.placeholder.setObjectName("placeholderLabel")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self._stack.addWidget(self.placeholder)

        content = QWidget(self)
        content.setObjectName("readingContent")
        content.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.header = ReadingHeader(content)
        column.addWidget(self.header)
        self.meeting_bar = MeetingBar(content)
        column.addWidget(self.meeting_bar)
        self.banner = RemoteContentBanner(content)
        self.banner.show_remote_requested.connect(self.show_remote_content)
        column.addWidget(self.banner)
        self.attachments_bar = AttachmentsBar(content)
        self.attachments_bar.save_requested.connect(self.save_attachment_requested)
        self.attachments_bar.add_to_calendar_requested.connect(self.add_to_calendar_requested)
        column.addWidget(self.attachments_bar)
        separator = QFrame(content)
        separator.setObjectName("readingSeparator")
        separator.setFrameShape(QFrame.Shape.NoFrame)
        column.addWidget(separator)
        self.view = MessageView(content)
        column.addWidget(self.view, 1)
        self._stack.addWidget(content)
        self._content = content

        # The parts' widgets, under the names the pane has always had (tests and the window use them).
        self.subject_label = self.header.subject_label
        self.categories_box = self.header.categories
        self.avatar = self.header.avatar
        self.from_label = self.header.from_label
        self.date_label = self.header.date_label
        self.to_label = self.header.to_label
        self.cc_label = self.header.cc_label
        self.last_changed_label = self.header.last_changed_label
        self.remote_banner = self.banner.frame
        self.remote_banner_label = self.banner.label
        self.show_remote_button = self.banner.show_remote_button

        self.view.link_clicked.connect(self._confirm_link)
        self.view.load_finished.connect(self.body_loaded)
        self.view.remote_blocked.connect(self._update_banner)
        self.clear()

    # -- public API --------------------------------------------------------------------------------------------
    def set_master_categories(self, categories: Iterable[Category]) -> None:
        """The mailbox's master category list (colours of the chips)."""
        self._master = {category.name.casefold(): category for category in categories}
        if self._detail is not None:
            self.header.categories.show_categories(self._detail.summary.categories, self._master)

    def current(self) -> MessageDetail | None:
        """The message shown, if any."""
        return self._detail

    def show_message(self, detail: MessageDetail, inline_images: Mapping[str, bytes] | None = None) -> None:
        """Show a message. Remote content stays blocked unless the user already allowed it for this message.

        Args:
            detail: The message.
            inline_images: Content of inline parts, keyed by Content-ID (or attachment id).
        """
        same = self._detail is not None and self._detail.summary.item_id == detail.summary.item_id
        self._allow_remote = self._allow_remote and same
        self._detail = detail
        self._inline_images = dict(inline_images or {})
        self.header.show_detail(detail, self._master)
        self.attachments_bar.show_attachments(
            ()
        )  # filled when the body is ready (inline parts are not listed)
        self.banner.hide()
        self._stack.setCurrentWidget(self._content)
        kind = meeting_kind(detail.item_class)
        if kind is None:
            self.meeting_bar.clear()
        elif not same or self.meeting_bar.info is None:
            self.meeting_bar.show_loading(kind)
            self.meeting_shown.emit(detail, kind)
        self._render()

    def clear(self, text: str = "") -> None:
        """Show no message, only ``text`` (e.g. "Select a message to read it." or an error)."""
        self._generation += 1
        self._detail = None
        self._inline_images = {}
        self._allow_remote = False
        self._close_link_dialog()
        self.meeting_bar.clear()
        self.placeholder.setText(text)
        self.placeholder.setAccessibleName(text or "No message")
        self._stack.setCurrentWidget(self.placeholder)
        self.view.clear()

    def show_remote_content(self) -> None:
        """Re-render the current message with its remote content (this message only)."""
        if self._detail is None or self._allow_remote:
            return
        self._allow_remote = True
        self.remote_content_requested.emit()
        self._render()

    def remote_allowed(self) -> bool:
        """Remote content is shown for the current message."""
        return self._allow_remote

    def blocked_count(self) -> int:
        """Remote references blocked in the current message (sanitiser and network gate together)."""
        return self._blocked_by_sanitizer + self.view.blocked_requests()

    def attachment_buttons(self) -> list[QToolButton]:
        """The attachment buttons, in order."""
        return self.attachments_bar.buttons()

    def category_chips(self) -> list[QLabel]:
        """The category chips, in order."""
        return self.header.categories.chips()

    def link_dialog(self) -> LinkConfirmDialog | None:
        """The open "Open link?" dialog, if any."""
        return self._link_dialog

    # -- banner --------------------------------------------------------------------------------------------------
    def _update_banner(self, *_args: object) -> None:
        count = self.blocked_count()
        if self._detail is None or self._allow_remote or count == 0:
            self.banner.hide()
            return
        self.banner.show_blocked(count)

    # -- body ----------------------------------------------------------------------------------------------------
    def _render(self) -> None:
        assert self._detail is not None
        self._generation += 1
        self._pool.start(RenderJob(self._bridge, self._generation, self._detail, self._allow_remote))

    def _on_rendered(self, rendered: Rendered) -> None:
        detail = self._detail
        if detail is None or rendered.generation != self._generation:
            return  # another message (or a newer rendering) came in the meantime
        self._blocked_by_sanitizer = rendered.blocked_remote
        self.view.show_document(
            build_document(rendered.fragment, allow_remote=rendered.allow_remote),
            allow_remote=rendered.allow_remote,
            parts=inline_parts(detail, self._inline_images),
        )
        listed = [
            attachment
            for attachment in detail.attachments
            if not (attachment.content_id and normalize_cid(attachment.content_id) in rendered.inline_cids)
        ]
        self.attachments_bar.show_attachments(listed)
        self._update_banner()

    # -- links ---------------------------------------------------------------------------------------------------
    def _close_link_dialog(self) -> None:
        if self._link_dialog is not None:
            self._link_dialog.close()
            self._link_dialog.deleteLater()
            self._link_dialog = None

    def _confirm_link(self, url: QUrl) -> None:
        self._close_link_dialog()
        dialog = LinkConfirmDialog(url, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open_requested.connect(self.open_link_requested)
        dialog.finished.connect(self._link_dialog_finished)
        self._link_dialog = dialog
        dialog.open()  # returns at once; the answer arrives through open_requested / finished

    def _link_dialog_finished(self) -> None:
        dialog = self.sender()
        if self._link_dialog is dialog:
            self._link_dialog = None
        if isinstance(dialog, QDialog):
            dialog.deleteLater()
