"""Icons of the models: a file in ``resources/icons``, else the desktop theme, else a built-in fallback.

Folder icons fall back to QStyle's standard icons (when a QApplication with a style runs); the list's flag and
paperclip are drawn here, so that they never come out blank on a bare machine (offscreen, no icon theme).
Drop an SVG with the resource name into ``resources/icons`` to replace one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPen, QPixmap

from app import paths

# well-known folder name, FolderKind value or "mailbox" -> (resources/icons name, theme names, QStyle fallback)
_FOLDER_ICONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "mailbox": ("mailbox", ("mail-folder-inbox", "folder-remote", "network-server"), "SP_DriveNetIcon"),
    "mailbox-unavailable": ("mailbox-unavailable", ("dialog-warning", "network-error"), "SP_MessageBoxWarning"),
    "inbox": ("folder-inbox", ("mail-folder-inbox", "folder-mail"), "SP_ArrowDown"),
    "drafts": ("folder-drafts", ("mail-folder-drafts", "document-edit", "accessories-text-editor"),
               "SP_FileDialogContentsView"),
    "sentitems": ("folder-sent", ("mail-folder-sent", "mail-send"), "SP_ArrowRight"),
    "deleteditems": ("folder-trash", ("user-trash", "edit-delete"), "SP_TrashIcon"),
    "junkemail": ("folder-junk", ("mail-mark-junk", "dialog-warning"), "SP_MessageBoxWarning"),
    "outbox": ("folder-outbox", ("mail-folder-outbox",), "SP_ArrowUp"),
    "archive": ("folder-archive", ("folder-documents",), "SP_DirIcon"),
    "calendar": ("folder-calendar", ("x-office-calendar", "office-calendar"), "SP_FileDialogDetailedView"),
    "contacts": ("folder-contacts", ("x-office-address-book", "contact-new"), "SP_FileDialogListView"),
    "tasks": ("folder-tasks", ("view-task",), "SP_DialogApplyButton"),
    "notes": ("folder-notes", ("text-x-generic",), "SP_FileIcon"),
    "mail": ("folder", ("folder-mail", "folder"), "SP_DirIcon"),
    "other": ("folder", ("folder",), "SP_DirIcon"),
}
_icon_cache: dict[str, QIcon] = {}


def folder_icon(name: str) -> QIcon:
    """The icon of a well-known folder (``inbox``), a FolderKind value (``calendar``), ``mailbox`` or
    ``mailbox-unavailable``."""
    icon = _icon_cache.get(name)
    if icon is None:
        icon = _icon_cache[name] = _load_icon(*_FOLDER_ICONS.get(name, _FOLDER_ICONS["other"]))
    return icon


def _provided(resource: str, theme_names: tuple[str, ...]) -> QIcon | None:
    """The icon from resources/icons, else from the desktop theme, else None."""
    path = paths.icon_path(f"{resource}.svg")
    if path.is_file():
        return QIcon(str(path))
    for theme in theme_names:
        if QIcon.hasThemeIcon(theme):
            return QIcon.fromTheme(theme)
    return None


def _load_icon(resource: str, theme_names: tuple[str, ...], standard: str) -> QIcon:
    provided = _provided(resource, theme_names)
    if provided is not None:
        return provided
    app = QGuiApplication.instance()
    style = app.style() if app is not None and hasattr(app, "style") else None
    if style is None:
        return QIcon()
    from PySide6.QtWidgets import QStyle  # only when a QApplication (widgets) is running

    return style.standardIcon(getattr(QStyle.StandardPixmap, standard))


class ListIcons:
    """The message list's flag and attachment icons."""

    def __init__(self) -> None:
        self.flag = _icon("flag", ("flag-red", "flag", "emblem-important"), _draw_flag)
        self.attachment = _icon("attachment", ("mail-attachment", "paperclip"), _draw_paperclip)


_LIST_ICONS: ListIcons | None = None


def list_icons() -> ListIcons:
    """The list's icons, made once (a QGuiApplication must exist)."""
    global _LIST_ICONS
    if _LIST_ICONS is None:
        _LIST_ICONS = ListIcons()
    return _LIST_ICONS


def _icon(resource: str, theme_names: tuple[str, ...], draw: Callable[[QPainter], None]) -> QIcon:
    provided = _provided(resource, theme_names)
    if provided is not None:
        return provided
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter)
    painter.end()
    return QIcon(pixmap)


def _draw_flag(p: QPainter) -> None:
    p.setPen(QPen(QColor("#555555"), 1.5))
    p.drawLine(QPointF(3.5, 2), QPointF(3.5, 15))
    path = QPainterPath(QPointF(4, 2.5))
    path.lineTo(13.5, 2.5)
    path.lineTo(10.5, 6)
    path.lineTo(13.5, 9.5)
    path.lineTo(4, 9.5)
    path.closeSubpath()
    p.fillPath(path, QColor("#d13438"))


def _draw_paperclip(p: QPainter) -> None:
    p.setPen(QPen(QColor("#555555"), 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    path = QPainterPath(QPointF(10, 5))
    path.lineTo(10, 12)
    path.arcTo(6, 10, 4, 4, 0, -180)
    path.lineTo(6, 3.5)
    path.arcTo(6, 1.5, 5, 4, 180, -180)
    path.lineTo(11, 11.5)
    p.drawPath(path)
