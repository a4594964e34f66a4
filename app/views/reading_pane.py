"""The reading pane: a message's header, categories, attachments and its body rendered safely.

The body is sanitised off the GUI thread (:mod:`app.domain.sanitize`) and shown in the locked-down
:class:`~app.views.webview.MessageView`. The pane never saves, opens or fetches anything itself: it asks through
its signals and the window does the work.
"""

from __future__ import annotations

import contextlib
import html
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import (
    QDateTime,
    QLocale,
    QObject,
    QPoint,
    QRect,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import Category, color_for
from app.domain.messages import AttachmentInfo, MessageDetail, Person
from app.domain.sanitize import normalize_cid, sanitize_html, text_to_html
from app.views.webview import InlineImage, MessageView, build_document

# ---------------------------------------------------------------------------------------------------------------
# Formatting helpers (pure)


def format_size(size: int) -> str:
    """A size as people read it: "912 bytes", "12 KB", "1.4 MB" (powers of 1024, as Windows shows them)."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if value >= 10 or unit == "KB" else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def format_when(moment: datetime, locale: QLocale | None = None) -> str:
    """A timestamp in local time, e.g. "Wed 26 Nov 2026 14:03" (names and time format from the locale)."""
    locale = locale or QLocale()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the domain's datetimes are UTC
    stamp = QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000))  # local time
    return f"{locale.toString(stamp.date(), 'ddd d MMM yyyy')} {locale.toString(stamp.time(), QLocale.FormatType.ShortFormat)}"


def person_name(person: Person | None) -> str:
    if person is None:
        return ""
    return person.name or person.address


def sender_line(detail: MessageDetail) -> str:
    """The From line as plain text: "Sales Team", or "Bob Baker on behalf of Sales Team"."""
    if detail.on_behalf:
        return f"{person_name(detail.sender)} on behalf of {person_name(detail.author)}"
    return person_name(detail.author or detail.sender) or "(unknown sender)"


def _sniff_image_type(data: bytes) -> str:
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


# ---------------------------------------------------------------------------------------------------------------
# Sanitising off the GUI thread


@dataclass(frozen=True)
class _Rendered:
    generation: int
    fragment: str
    blocked_remote: int
    inline_cids: frozenset[str]
    allow_remote: bool


class _RenderBridge(QObject):
    done = Signal(object)  # _Rendered


class _RenderJob(QRunnable):
    def __init__(
        self, bridge: _RenderBridge, generation: int, detail: MessageDetail, allow_remote: bool
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
            rendered = _Rendered(
                self._generation, result.html, result.blocked_remote, result.inline_cids, self._allow_remote
            )
        else:
            rendered = _Rendered(
                self._generation, text_to_html(detail.body_text or ""), 0, frozenset(), self._allow_remote
            )
        with contextlib.suppress(RuntimeError):  # the pane went away while this ran
            self._bridge.done.emit(rendered)


# ---------------------------------------------------------------------------------------------------------------
# Small widgets


class FlowLayout(QLayout):
    """Lays children out left to right, wrapping to new lines (category chips, attachments)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt override)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt override)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt override)
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def widgets(self) -> list[QWidget]:
        return [widget for item in self._items if (widget := item.widget()) is not None]

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line_height = area.x(), y + line_height + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


# Avatar colours: the darker half of Outlook's presets, so that white initials stay readable.
_AVATAR_COLORS = ("#b52b37", "#d0671c", "#7c5436", "#2e8b2c", "#1f8c7e", "#2b5aad", "#6f43aa", "#99213f",
                  "#5587e3", "#6a7a85")  # fmt: skip


def _initials(person: Person | None) -> str:
    name = person_name(person)
    words = [word for word in name.replace(",", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if "@" in name and len(words) == 1:
        return name[:1].upper()
    return (words[0][:1] + (words[-1][:1] if len(words) > 1 else "")).upper()


class _Avatar(QLabel):
    """A round badge with the sender's initials (colour stable per address)."""

    SIZE = 40

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(self.SIZE, self.SIZE)
        self.setAccessibleName("Sender picture")

    def set_person(self, person: Person | None) -> None:
        key = (person.address if person else "").casefold()
        color = QColor(_AVATAR_COLORS[zlib.crc32(key.encode()) % len(_AVATAR_COLORS)])
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.SIZE * ratio), int(self.SIZE * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(0, 0, self.SIZE, self.SIZE)
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRect(0, 0, self.SIZE, self.SIZE), Qt.AlignmentFlag.AlignCenter, _initials(person))
        painter.end()
        self.setPixmap(pixmap)


def _chip_text_color(background: str) -> str:
    color = QColor(background)
    luminance = 0.2126 * color.redF() + 0.7152 * color.greenF() + 0.0722 * color.blueF()
    return "#1f2328" if luminance > 0.6 else "#ffffff"


_BADGE_COLORS = {
    "pdf": "#c9302c", "doc": "#2b579a", "docx": "#2b579a", "rtf": "#2b579a", "odt": "#2b579a",
    "xls": "#217346", "xlsx": "#217346", "csv": "#217346", "ods": "#217346",
    "ppt": "#c43e1c", "pptx": "#c43e1c", "odp": "#c43e1c",
    "zip": "#8a6d3b", "7z": "#8a6d3b", "rar": "#8a6d3b", "gz": "#8a6d3b",
    "png": "#7b4fd6", "jpg": "#7b4fd6", "jpeg": "#7b4fd6", "gif": "#7b4fd6", "svg": "#7b4fd6",
    "eml": "#0b62c4", "msg": "#0b62c4", "ics": "#0b62c4",
}  # fmt: skip


def _file_badge(name: str, ratio: float) -> QPixmap:
    """A small document badge showing the file's extension in the colour of its kind."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    width, height = 26, 32
    pixmap = QPixmap(int(width * ratio), int(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_BADGE_COLORS.get(extension, "#6a7a85")))
    painter.drawRoundedRect(0, 0, width, height, 4, 4)
    label = extension[:4].upper() or "FILE"
    font = QFont()
    font.setPixelSize(8 if len(label) > 3 else 9)
    font.setWeight(QFont.Weight.Bold)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(QRect(0, height - 15, width, 12), Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return pixmap


class _AttachmentButton(QToolButton):
    """One attachment: a badge, the name and the size; a click asks to save it.

    Signals:
        save_requested(AttachmentInfo): The user clicked it (or pressed Space on it).
    """

    save_requested = Signal(object)
    _NAME_WIDTH = 230

    def __init__(self, attachment: AttachmentInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        name = attachment.name or "attachment"
        size = format_size(attachment.size)
        self.setObjectName("attachmentButton")
        self.setToolTip(f"Save as… {name} ({size}, {attachment.content_type or 'unknown type'})")
        self.setAccessibleName(f"Save attachment {name}, {size}, as…")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 12, 6)
        layout.setSpacing(9)
        badge = QLabel(self)
        badge.setPixmap(_file_badge(name, self.devicePixelRatioF()))
        layout.addWidget(badge)
        text = QVBoxLayout()
        text.setSpacing(0)
        self.name_label = QLabel(self)
        self.name_label.setObjectName("attachmentName")
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        metrics = self.name_label.fontMetrics()
        self.name_label.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, self._NAME_WIDTH))
        self.size_label = QLabel(size, self)
        self.size_label.setObjectName("attachmentSize")
        small = self.size_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.88)
        self.size_label.setFont(small)
        text.addWidget(self.name_label)
        text.addWidget(self.size_label)
        layout.addLayout(text)
        for child in (badge, self.name_label, self.size_label):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.clicked.connect(self._clicked)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.layout().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.layout().minimumSize()

    def _clicked(self) -> None:
        self.save_requested.emit(self.attachment)


class LinkConfirmDialog(QDialog):
    """Shows where a link really goes before anything opens it.

    The host is shown on its own (in its ASCII form too when it is an internationalised name, which is how
    look-alike domains give themselves away), and the whole address in a selectable box.

    Signals:
        open_requested(QUrl): The user chose "Open".
    """

    open_requested = Signal(QUrl)

    def __init__(self, url: QUrl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = QUrl(url)
        self.setObjectName("linkConfirmDialog")
        self.setWindowTitle("Open link?")
        self.setAccessibleName("Open link?")
        self.setMinimumWidth(460)

        scheme = url.scheme().lower()
        if scheme == "mailto":
            intro = "This link starts a new message to:"
            target = url.path()
        elif scheme == "tel":
            intro = "This link calls:"
            target = url.path()
        else:
            intro = "This link opens in your web browser. It goes to:"
            target = url.host(QUrl.ComponentFormattingOption.PrettyDecoded)
            ascii_host = url.host(QUrl.ComponentFormattingOption.FullyEncoded)
            if ascii_host and ascii_host != target:
                target = f"{target}  ({ascii_host})"
        intro_label = QLabel(intro, self)
        intro_label.setWordWrap(True)
        host_label = QLabel(target or "(no address)", self)
        host_label.setObjectName("linkHost")
        host_label.setTextFormat(Qt.TextFormat.PlainText)
        host_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = host_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        host_label.setFont(font)

        self.address = QPlainTextEdit(self)
        self.address.setObjectName("linkAddress")
        self.address.setAccessibleName("Full link address")
        self.address.setReadOnly(True)
        self.address.setPlainText(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
        self.address.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.address.setWordWrapMode(self.address.wordWrapMode().WrapAnywhere)
        self.address.setMaximumHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)

        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setAccessibleName("Open link")
        self.copy_button = buttons.addButton("Copy address", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAccessibleName("Copy link address")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Do not open the link")
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._copy)
        self.accepted.connect(self._accepted)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(intro_label)
        layout.addWidget(host_label)
        layout.addWidget(self.address)
        layout.addWidget(buttons)

    def _accepted(self) -> None:
        self.open_requested.emit(QUrl(self.url))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


# ---------------------------------------------------------------------------------------------------------------
# The pane

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
    """

    save_attachment_requested = Signal(object)
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
        self._bridge = _RenderBridge(self)
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
        column.addWidget(self._build_header(content))
        column.addWidget(self._build_banner(content))
        column.addWidget(self._build_attachments(content))
        separator = QFrame(content)
        separator.setObjectName("readingSeparator")
        separator.setFrameShape(QFrame.Shape.NoFrame)
        column.addWidget(separator)
        self.view = MessageView(content)
        column.addWidget(self.view, 1)
        self._stack.addWidget(content)
        self._content = content

        self.view.link_clicked.connect(self._confirm_link)
        self.view.load_finished.connect(self.body_loaded)
        self.view.remote_blocked.connect(self._update_banner)
        self.clear()

    # -- construction ------------------------------------------------------------------------------------------
    def _secondary(self, label: QLabel) -> QLabel:
        palette = label.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorRole.Base)
        mixed = QColor(
            int(text.red() * 0.62 + base.red() * 0.38),
            int(text.green() * 0.62 + base.green() * 0.38),
            int(text.blue() * 0.62 + base.blue() * 0.38),
        )
        palette.setColor(QPalette.ColorRole.WindowText, mixed)
        label.setPalette(palette)
        return label

    def _label(self, parent: QWidget, name: str, accessible: str, *, rich: bool = False) -> QLabel:
        label = QLabel(parent)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        return label

    def _build_header(self, parent: QWidget) -> QWidget:
        header = QWidget(parent)
        header.setObjectName("readingHeader")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        outer = QVBoxLayout(header)
        outer.setContentsMargins(20, 16, 20, 12)
        outer.setSpacing(8)

        self.subject_label = self._label(header, "subjectLabel", "Subject")
        font = self.subject_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setWeight(QFont.Weight.DemiBold)
        self.subject_label.setFont(font)
        outer.addWidget(self.subject_label)

        self.categories_box = QWidget(header)
        self.categories_box.setObjectName("categoryChips")
        self.categories_box.setAccessibleName("Categories")
        self._categories_flow = FlowLayout(self.categories_box, spacing=6)
        outer.addWidget(self.categories_box)

        row = QHBoxLayout()
        row.setSpacing(12)
        self.avatar = _Avatar(header)
        row.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        people = QVBoxLayout()
        people.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(12)
        self.from_label = self._label(header, "fromLabel", "From", rich=True)
        from_font = self.from_label.font()
        from_font.setPointSizeF(from_font.pointSizeF() * 1.08)
        self.from_label.setFont(from_font)
        top.addWidget(self.from_label, 1)
        self.date_label = self._secondary(self._label(header, "dateLabel", "Date"))
        self.date_label.setWordWrap(False)
        self.date_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.date_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.date_label, 0, Qt.AlignmentFlag.AlignTop)
        people.addLayout(top)
        self.to_label = self._label(header, "toLabel", "To", rich=True)
        self.cc_label = self._label(header, "ccLabel", "Cc", rich=True)
        self.last_changed_label = self._secondary(self._label(header, "lastChangedLabel", "Last changed by"))
        small = self.last_changed_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.92)
        self.last_changed_label.setFont(small)
        for label in (self.to_label, self.cc_label, self.last_changed_label):
            people.addWidget(label)
        row.addLayout(people, 1)
        outer.addLayout(row)
        return header

    def _build_banner(self, parent: QWidget) -> QWidget:
        holder = QWidget(parent)
        holder.setObjectName("remoteBannerHolder")
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(20, 0, 20, 10)
        self.remote_banner = QFrame(holder)
        self.remote_banner.setObjectName("remoteBanner")
        self.remote_banner.setAccessibleName("Remote content blocked")
        layout = QHBoxLayout(self.remote_banner)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.setSpacing(8)
        icon = QLabel(self.remote_banner)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(16, 16)
        )
        layout.addWidget(icon)
        self.remote_banner_label = QLabel(self.remote_banner)
        self.remote_banner_label.setObjectName("remoteBannerLabel")
        self.remote_banner_label.setTextFormat(Qt.TextFormat.PlainText)
        self.remote_banner_label.setWordWrap(True)
        layout.addWidget(self.remote_banner_label, 1)
        self.show_remote_button = QPushButton("Show remote content", self.remote_banner)
        self.show_remote_button.setObjectName("showRemoteButton")
        self.show_remote_button.setAccessibleName("Show remote content")
        self.show_remote_button.setToolTip("Load the pictures and styles of this message from the internet")
        self.show_remote_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.show_remote_button.clicked.connect(self.show_remote_content)
        layout.addWidget(self.show_remote_button)
        holder_layout.addWidget(self.remote_banner)
        self._banner_holder = holder
        return holder

    def _build_attachments(self, parent: QWidget) -> QWidget:
        self.attachments_bar = QWidget(parent)
        self.attachments_bar.setObjectName("attachmentsBar")
        self.attachments_bar.setAccessibleName("Attachments")
        self._attachments_flow = FlowLayout(self.attachments_bar, spacing=8)
        self._attachments_flow.setContentsMargins(20, 0, 20, 12)
        return self.attachments_bar

    # -- public API --------------------------------------------------------------------------------------------
    def set_master_categories(self, categories: Iterable[Category]) -> None:
        """The mailbox's master category list (colours of the chips)."""
        self._master = {category.name.casefold(): category for category in categories}
        if self._detail is not None:
            self._fill_categories(self._detail.summary.categories)

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
        self._fill_header(detail)
        self._stack.setCurrentWidget(self._content)
        self._render()

    def clear(self, text: str = "") -> None:
        """Show no message, only ``text`` (e.g. "Select a message to read it." or an error)."""
        self._generation += 1
        self._detail = None
        self._inline_images = {}
        self._allow_remote = False
        self._close_link_dialog()
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
        return [w for w in self._attachments_flow.widgets() if isinstance(w, QToolButton)]

    def category_chips(self) -> list[QLabel]:
        """The category chips, in order."""
        return [w for w in self._categories_flow.widgets() if isinstance(w, QLabel)]

    def link_dialog(self) -> LinkConfirmDialog | None:
        """The open "Open link?" dialog, if any."""
        return self._link_dialog

    # -- header --------------------------------------------------------------------------------------------------
    _MAX_PEOPLE_SHOWN = 12

    def _people_html(self, caption: str, people: Iterable[Person]) -> str:
        people = list(people)
        names = "; ".join(html.escape(person_name(person)) for person in people[: self._MAX_PEOPLE_SHOWN])
        mid = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        more = len(people) - self._MAX_PEOPLE_SHOWN
        if more > 0:
            names += f' <span style="color:{mid}">and {more} more</span>'
        return f'<span style="color:{mid}">{caption}</span>&nbsp;&nbsp;{names}'

    def _fill_header(self, detail: MessageDetail) -> None:
        subject = detail.summary.subject.strip()
        self.subject_label.setText(subject or "(no subject)")
        self.subject_label.setAccessibleName(f"Subject: {subject or '(no subject)'}")

        mid = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        shown = detail.sender if detail.on_behalf else (detail.author or detail.sender)
        self.avatar.set_person(shown)

        def who(person: Person | None) -> str:
            if person is None:
                return "<b>(unknown sender)</b>"
            name = html.escape(person_name(person))
            address = html.escape(person.address)
            if person.name and person.name != person.address:
                return f'<b>{name}</b> <span style="color:{mid}">&lt;{address}&gt;</span>'
            return f"<b>{name}</b>"

        if detail.on_behalf:
            rich = f"{who(detail.sender)} on behalf of {who(detail.author)}"
        else:
            rich = who(detail.author or detail.sender)
        self.from_label.setText(rich)
        people = [p for p in (detail.sender, detail.author) if p is not None] if detail.on_behalf else [shown]
        plain = sender_line(detail)
        self.from_label.setAccessibleName(f"From: {plain}")
        self.from_label.setToolTip("\n".join(str(person) for person in people if person is not None))

        when = detail.sent or detail.summary.received
        self.date_label.setText(format_when(when) if when else "")
        self.date_label.setAccessibleName(f"Sent: {self.date_label.text()}" if when else "Sent: unknown")

        for label, caption, people_list in (("to", "To", detail.to), ("cc", "Cc", detail.cc)):
            widget = self.to_label if label == "to" else self.cc_label
            widget.setVisible(bool(people_list))
            widget.setText(self._people_html(caption, people_list))
            widget.setAccessibleName(f"{caption}: " + "; ".join(str(person) for person in people_list))
            shown = [str(person) for person in people_list[:40]]
            if len(people_list) > 40:
                shown.append(f"… and {len(people_list) - 40} more")
            widget.setToolTip("\n".join(shown))

        if detail.last_modified_name:
            text = f"Last changed by {detail.last_modified_name}"
            if detail.last_modified:
                text += f" · {format_when(detail.last_modified)}"
            self.last_changed_label.setText(text)
            self.last_changed_label.setAccessibleName(text)
        self.last_changed_label.setVisible(bool(detail.last_modified_name))

        self._fill_categories(detail.summary.categories)
        self._fill_attachments(())  # filled when the body is ready (inline parts are not listed)
        self._banner_holder.hide()

    def _fill_categories(self, names: Iterable[str]) -> None:
        self._categories_flow.clear()
        names = list(names)
        for name in names:
            chip = QLabel(name, self.categories_box)
            chip.setObjectName("categoryChip")
            chip.setTextFormat(Qt.TextFormat.PlainText)
            chip.setAccessibleName(f"Category {name}")
            background = color_for(name, self._master)
            font = chip.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            chip.setFont(font)
            # Qt draws square corners when the radius exceeds half the height: derive it from the font.
            radius = (QFontMetrics(font).height() + 2 * 2 + 2) // 2 - 1
            chip.setStyleSheet(
                f"background:{background}; color:{_chip_text_color(background)};"
                f"border:1px solid {background}; border-radius:{radius}px; padding:2px 9px;"
            )
            self._categories_flow.addWidget(chip)
        self.categories_box.setVisible(bool(names))

    def _fill_attachments(self, attachments: Iterable[AttachmentInfo]) -> None:
        self._attachments_flow.clear()
        attachments = list(attachments)
        for attachment in attachments:
            button = _AttachmentButton(attachment, self.attachments_bar)
            button.save_requested.connect(self.save_attachment_requested)
            self._attachments_flow.addWidget(button)
        self.attachments_bar.setVisible(bool(attachments))

    def _update_banner(self, *_args: object) -> None:
        count = self.blocked_count()
        if self._detail is None or self._allow_remote or count == 0:
            self._banner_holder.hide()
            return
        self.remote_banner_label.setText(
            f"Remote content was blocked ({count} item{'s' if count != 1 else ''}) to protect your privacy."
        )
        self._banner_holder.show()

    # -- body ----------------------------------------------------------------------------------------------------
    def _render(self) -> None:
        assert self._detail is not None
        self._generation += 1
        self._pool.start(_RenderJob(self._bridge, self._generation, self._detail, self._allow_remote))

    def _on_rendered(self, rendered: _Rendered) -> None:
        detail = self._detail
        if detail is None or rendered.generation != self._generation:
            return  # another message (or a newer rendering) came in the meantime
        self._blocked_by_sanitizer = rendered.blocked_remote
        self.view.show_document(
            build_document(rendered.fragment, allow_remote=rendered.allow_remote),
            allow_remote=rendered.allow_remote,
            parts=self._inline_parts(detail),
        )
        listed = [
            attachment
            for attachment in detail.attachments
            if not (attachment.content_id and normalize_cid(attachment.content_id) in rendered.inline_cids)
        ]
        self._fill_attachments(listed)
        self._update_banner()

    def _inline_parts(self, detail: MessageDetail) -> dict[str, InlineImage]:
        by_cid = {normalize_cid(a.content_id): a for a in detail.attachments if a.content_id}
        by_id = {a.attachment_id: a for a in detail.attachments}
        parts: dict[str, InlineImage] = {}
        for key, content in self._inline_images.items():
            attachment = by_id.get(key) or by_cid.get(normalize_cid(key))
            cid = attachment.content_id if attachment is not None and attachment.content_id else key
            content_type = attachment.content_type if attachment is not None else ""
            if not content_type.startswith("image/"):
                content_type = _sniff_image_type(content)
            parts[cid] = InlineImage(content, content_type)
        return parts

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
