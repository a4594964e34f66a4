"""The attachments bar of the reading pane: one button per attachment (badge, name, size) that asks to save it."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from app.domain.messages import AttachmentInfo
from app.views.reading_flow_layout import FlowLayout
from app.views.reading_format import format_size

BADGE_COLORS = {
    "pdf": "#c9302c", "doc": "#2b579a", "docx": "#2b579a", "rtf": "#2b579a", "odt": "#2b579a",
    "xls": "#217346", "xlsx": "#217346", "csv": "#217346", "ods": "#217346",
    "ppt": "#c43e1c", "pptx": "#c43e1c", "odp": "#c43e1c",
    "zip": "#8a6d3b", "7z": "#8a6d3b", "rar": "#8a6d3b", "gz": "#8a6d3b",
    "png": "#7b4fd6", "jpg": "#7b4fd6", "jpeg": "#7b4fd6", "gif": "#7b4fd6", "svg": "#7b4fd6",
    "eml": "#0b62c4", "msg": "#0b62c4", "ics": "#0b62c4",
}  # fmt: skip
CALENDAR_TYPES = ("text/calendar", "application/ics")


def is_calendar_file(attachment: AttachmentInfo) -> bool:
    """An iCalendar attachment (by content type or a ``.ics`` / ``.ical`` / ``.ifb`` name)."""
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    return kind in CALENDAR_TYPES or (attachment.name or "").lower().endswith((".ics", ".ical", ".ifb"))


def file_badge(name: str, ratio: float) -> QPixmap:
    """A small document badge showing the file's extension in the colour of its kind."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    width, height = 26, 32
    pixmap = QPixmap(int(width * ratio), int(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(BADGE_COLORS.get(extension, "#6a7a85")))
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


class AttachmentButton(QToolButton):
    """One attachment: a badge, the name and the size; a click asks to save it.

    An iCalendar file also has a menu (the arrow): "Add to calendar…" and "Save as…".

    Signals:
        save_requested(AttachmentInfo): The user clicked it (or pressed Space on it).
        add_to_calendar_requested(AttachmentInfo): The user chose "Add to calendar…" (iCalendar files only).
    """

    save_requested = Signal(object)
    add_to_calendar_requested = Signal(object)
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
        badge.setPixmap(file_badge(name, self.devicePixelRatioF()))
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
        self.add_to_calendar = None
        if is_calendar_file(attachment):
            menu = QMenu(self)
            self.add_to_calendar = menu.addAction("Add to calendar…")
            self.add_to_calendar.setObjectName("addToCalendar")
            self.add_to_calendar.triggered.connect(lambda: self.add_to_calendar_requested.emit(self.attachment))
            menu.addAction("Save as…").triggered.connect(self._clicked)
            self.setMenu(menu)
            self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
            self.setToolTip(f"Save as… {name} ({size}); the arrow offers “Add to calendar…”")
            layout.setContentsMargins(8, 6, 24, 6)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.layout().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self.layout().minimumSize()

    def _clicked(self) -> None:
        self.save_requested.emit(self.attachment)


class AttachmentsBar(QWidget):
    """The attachments of the message shown, as buttons that wrap; hidden when there are none.

    Signals:
        save_requested(AttachmentInfo): The user chose "Save as…" for an attachment.
        add_to_calendar_requested(AttachmentInfo): The user chose "Add to calendar…" for an iCalendar file.
    """

    save_requested = Signal(object)
    add_to_calendar_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentsBar")
        self.setAccessibleName("Attachments")
        self._flow = FlowLayout(self, spacing=8)
        self._flow.setContentsMargins(20, 0, 20, 12)

    def show_attachments(self, attachments: Iterable[AttachmentInfo]) -> None:
        """Show a button per attachment (none: the bar hides)."""
        self._flow.clear()
        attachments = list(attachments)
        for attachment in attachments:
            button = AttachmentButton(attachment, self)
            button.save_requested.connect(self.save_requested)
            button.add_to_calendar_requested.connect(self.add_to_calendar_requested)
            self._flow.addWidget(button)
        self.setVisible(bool(attachments))

    def buttons(self) -> list[QToolButton]:
        """The attachment buttons, in order."""
        return [w for w in self._flow.widgets() if isinstance(w, QToolButton)]
