"""The body of a compose window: the rich-text editor and its formatting tool bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QAction, QFont, QKeySequence, QTextCharFormat, QTextListFormat
from PySide6.QtWidgets import QInputDialog, QTextEdit, QToolBar, QWidget


def make_body_edit() -> QTextEdit:
    """The message body editor (rich text; Tab moves the focus on rather than typing a tab)."""
    edit = QTextEdit(objectName="bodyEdit")
    edit.setAccessibleName("Message body")
    edit.setAcceptRichText(True)
    edit.setTabChangesFocus(True)
    edit.document().setDocumentMargin(10)
    return edit


class FormatBar(QToolBar):
    """Bold, italic, underline, bulleted and numbered lists, and links, for one editor.

    The bold/italic/underline buttons follow the format at the cursor.

    Args:
        editor: The text edit it formats.
        parent: The compose window (asks for link addresses over it; the shortcuts work anywhere in it).
    """

    def __init__(self, editor: QTextEdit, parent: QWidget | None = None) -> None:
        super().__init__("Formatting", parent)
        self.setObjectName("formatToolBar")
        self.setIconSize(QSize(16, 16))
        self._editor = editor
        self.bold_action = self._action("B", "Bold", QKeySequence.StandardKey.Bold, self._toggle_bold)
        self.italic_action = self._action("I", "Italic", QKeySequence.StandardKey.Italic, self._toggle_italic)
        self.underline_action = self._action(
            "U", "Underline", QKeySequence.StandardKey.Underline, self._toggle_underline
        )
        self.bullets_action = self._action(
            "• List",
            "Bulleted list",
            "Ctrl+Shift+L",
            lambda: self._toggle_list(QTextListFormat.Style.ListDisc),
        )
        self.numbers_action = self._action(
            "1. List",
            "Numbered list",
            "Ctrl+Shift+N",
            lambda: self._toggle_list(QTextListFormat.Style.ListDecimal),
        )
        self.link_action = self._action("Link…", "Insert link", "Ctrl+K", self.insert_link)
        for action, flag in (
            (self.bold_action, "bold"),
            (self.italic_action, "italic"),
            (self.underline_action, "underline"),
        ):
            action.setCheckable(True)
            font = QFont()
            setattr_name = {"bold": "setBold", "italic": "setItalic", "underline": "setUnderline"}[flag]
            getattr(font, setattr_name)(True)
            action.setFont(font)
        editor.currentCharFormatChanged.connect(self._on_char_format)

    def _action(self, text: str, tip: str, keys: Any, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        sequence = QKeySequence(keys)
        action.setShortcut(sequence)
        shown = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.setObjectName(f"format_{tip.casefold().replace(' ', '_')}")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    # -- links -------------------------------------------------------------------------------------------------
    def insert_link(self) -> None:
        """Make the selected text a link (asks for the address)."""
        cursor = self._editor.textCursor()
        url, ok = QInputDialog.getText(self.window(), "Insert link", "Address (https://…):", text="https://")
        if not ok or not url.strip() or url.strip() == "https://":
            return
        self.apply_link(url.strip(), cursor.selectedText() or url.strip())

    def apply_link(self, url: str, text: str) -> None:
        """Insert (or wrap the selection in) a link to ``url``, in the window's link colour."""
        qurl = QUrl.fromUserInput(url)
        cursor = self._editor.textCursor()
        fmt = QTextCharFormat()
        fmt.setAnchor(True)
        fmt.setAnchorHref(qurl.toString())
        fmt.setForeground(self.window().palette().link())
        fmt.setFontUnderline(True)
        cursor.insertText(text, fmt)
        cursor.setCharFormat(QTextCharFormat())
        self._editor.setTextCursor(cursor)

    # -- character and list formats ----------------------------------------------------------------------------
    def _merge(self, fmt: QTextCharFormat) -> None:
        cursor = self._editor.textCursor()
        if not cursor.hasSelection():
            cursor.select(cursor.SelectionType.WordUnderCursor)
        cursor.mergeCharFormat(fmt)
        self._editor.mergeCurrentCharFormat(fmt)

    def _toggle_bold(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if self.bold_action.isChecked() else QFont.Weight.Normal)
        self._merge(fmt)

    def _toggle_italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.italic_action.isChecked())
        self._merge(fmt)

    def _toggle_underline(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontUnderline(self.underline_action.isChecked())
        self._merge(fmt)

    def _toggle_list(self, style: QTextListFormat.Style) -> None:
        cursor = self._editor.textCursor()
        current = cursor.currentList()
        if current is not None and current.format().style() == style:
            block_fmt = cursor.blockFormat()
            current.remove(cursor.block())
            block_fmt.setIndent(0)
            cursor.setBlockFormat(block_fmt)
            return
        fmt = QTextListFormat()
        fmt.setStyle(style)
        cursor.createList(fmt)

    def _on_char_format(self, fmt: QTextCharFormat) -> None:
        self.bold_action.setChecked(fmt.fontWeight() >= QFont.Weight.Bold)
        self.italic_action.setChecked(fmt.fontItalic())
        self.underline_action.setChecked(fmt.fontUnderline())
