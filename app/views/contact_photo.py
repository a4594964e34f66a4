"""Contact pictures in the contacts view: round avatars (the photo, or the initials) and the dialog's photo row.

:func:`round_avatar` paints what the detail pane and the contact dialog show. :class:`PhotoField` is the
"Photo" row of the contact dialog: it shows the current picture, lets the user choose a file (checked off the GUI
thread by the checker it is given: size, type, decodable) or remove the picture, and remembers the change to
save (:attr:`PhotoField.change`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from app.services.contact_photos import PhotoChange

AVATAR_SIZE = 72
PLACEHOLDER_COLOR = QColor("#2b6cb0")
IMAGE_FILTER = "Pictures (*.png *.jpg *.jpeg *.gif *.bmp);;All files (*)"

Checker = Callable[[Path, Callable[[tuple[PhotoChange, QImage]], Any], Callable[[str], Any]], Any]


def initials_of(name: str) -> str:
    """Up to two initials of a name ("?" for none)."""
    return "".join(w[0] for w in name.split()[:2]).upper() or "?"


def round_avatar(image: QImage | None, name: str, size: int = AVATAR_SIZE, ratio: float = 1.0) -> QImage:
    """A round picture ``size`` logical pixels wide: ``image`` scaled to cover the circle and centred, or the
    name's initials on the placeholder colour when there is no image. Outside the circle is transparent."""
    pixels = max(1, round(size * ratio))
    out = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    circle = QPainterPath()
    circle.addEllipse(QRectF(0, 0, pixels, pixels))
    painter.setClipPath(circle)
    if image is not None and not image.isNull():
        scaled = image.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                              Qt.TransformationMode.SmoothTransformation)
        painter.drawImage((pixels - scaled.width()) // 2, (pixels - scaled.height()) // 2, scaled)
    else:
        painter.fillRect(0, 0, pixels, pixels, PLACEHOLDER_COLOR)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(8, pixels * 2 // 5))
        painter.setFont(font)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(QRectF(0, 0, pixels, pixels), Qt.AlignmentFlag.AlignCenter, initials_of(name))
    painter.end()
    out.setDevicePixelRatio(ratio)
    return out


class PhotoField(QWidget):
    """The contact dialog's photo row. Signals: changed() when a picture was chosen, removed or refused."""

    changed = Signal()

    def __init__(self, name: str, current: QImage | None, has_photo: bool, checker: Checker,
                 on_error: Callable[[str], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactPhotoField")
        self._name = name
        self._checker = checker
        self._on_error = on_error
        self._handle: Any = None
        self.change: PhotoChange | None = None  # None: leave the server's picture as it is
        self.image: QImage | None = current
        self.preview = QLabel(self)
        self.preview.setObjectName("contactPhotoPreview")
        self.preview.setFixedSize(56, 56)
        self.choose_button = QPushButton("Choose photo…", self)
        self.choose_button.clicked.connect(lambda _checked=False: self.choose())
        self.remove_button = QPushButton("Remove photo", self)
        self.remove_button.clicked.connect(lambda _checked=False: self.remove())
        self.remove_button.setEnabled(has_photo or current is not None)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        layout.addWidget(self.choose_button)
        layout.addWidget(self.remove_button)
        layout.addStretch(1)
        self._show()

    @property
    def pending(self) -> bool:
        """A chosen file is still being checked."""
        return self._handle is not None

    def choose(self, path: str = "") -> None:
        """Check a picture file (asks for one without ``path``); the result arrives later."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a photo", "", IMAGE_FILTER)
        if not path:
            return
        self._handle = self._checker(Path(path), self._checked, self._refused)

    def remove(self) -> None:
        """Save the contact without a picture."""
        self.change = PhotoChange(None)
        self.image = None
        self.remove_button.setEnabled(False)
        self._show()
        self.changed.emit()

    def _checked(self, result: tuple[PhotoChange, QImage]) -> None:
        self._handle = None
        self.change, self.image = result
        self.remove_button.setEnabled(True)
        self._on_error("")
        self._show()
        self.changed.emit()

    def _refused(self, text: str) -> None:
        self._handle = None
        self._on_error(text)
        self.changed.emit()

    def _show(self) -> None:
        ratio = self.devicePixelRatioF()
        self.preview.setPixmap(QPixmap.fromImage(round_avatar(self.image, self._name, 56, ratio)))
        self.preview.setToolTip("The contact's photo" if self.image is not None else "No photo")
