"""Directory autocomplete for address fields: a QCompleter fed by the server's ResolveNames, debounced.

The completer asks a ``lookup`` callable (``SessionService.resolve_names``: a task running
``app.ews.directory.resolve``) once the user stops typing for a moment, drops answers that arrive for text the
user has changed since, and shows the people found as "Name <address>". Choosing one puts the address in the
field. With ``multiple=True`` (To/Cc/Bcc) only the last address after ``;`` or ``,`` is completed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit

from app.domain.messages import Person

ADDRESS_ROLE = Qt.ItemDataRole.UserRole + 1
_SEPARATOR = re.compile(r"[;,]")


class Cancellable(Protocol):
    def cancel(self) -> None: ...


#: lookup(text, on_result(list[Person]), on_error(exception)) -> a handle with cancel()
Lookup = Callable[[str, Callable[[list[Person]], Any], Callable[[BaseException], Any]], Cancellable]


class DirectoryCompleter(QCompleter):
    """Completes a QLineEdit from the directory.

    Args:
        line_edit: The field to complete.
        lookup: Starts a directory lookup (see :data:`Lookup`); its callbacks run on the GUI thread.
        delay_ms: Quiet time after the last keystroke before asking the server.
        min_chars: Shortest text worth a lookup.
        multiple: The field holds several addresses separated by ``;`` or ``,``.

    Signals:
        results_ready(int): a lookup answered for the current text with this many people.
        lookup_failed(str): a lookup failed (autocomplete is best effort: the field stays usable).
        person_chosen(object): the user picked a :class:`~app.domain.messages.Person`.
    """

    results_ready = Signal(int)
    lookup_failed = Signal(str)
    person_chosen = Signal(object)

    def __init__(
        self,
        line_edit: QLineEdit,
        lookup: Lookup,
        *,
        delay_ms: int = 250,
        min_chars: int = 2,
        multiple: bool = False,
    ) -> None:
        super().__init__(line_edit)
        self._edit = line_edit
        self._lookup = lookup
        self._min_chars = min_chars
        self._multiple = multiple
        self._handle: Cancellable | None = None
        self._asked = ""
        self._people: list[Person] = []
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        self.setCompletionRole(ADDRESS_ROLE)
        self.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setMaxVisibleItems(8)
        self.setWidget(line_edit)
        self.popup().setAccessibleName("Directory suggestions")

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._ask)
        line_edit.textEdited.connect(self._on_edited)
        self.activated[QModelIndex].connect(self._on_activated)
        self.destroyed.connect(self._timer.stop)

    # -- public --------------------------------------------------------------------------------------------------

    def people(self) -> list[Person]:
        """The people of the last answer shown."""
        return list(self._people)

    def suggestion_texts(self) -> list[str]:
        """What the popup lists ("Name <address>")."""
        return [self._model.item(row).text() for row in range(self._model.rowCount())]

    def choose(self, row: int) -> None:
        """Pick suggestion ``row`` as if the user clicked it."""
        self._on_activated(self._model.index(row, 0))
        self.popup().hide()

    def cancel(self) -> None:
        """Stop a pending or running lookup."""
        self._timer.stop()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    # -- internals -----------------------------------------------------------------------------------------------

    def _current_token(self) -> str:
        text = self._edit.text()
        if self._multiple:
            text = _SEPARATOR.split(text)[-1]
        return text.strip()

    def _on_edited(self, _text: str) -> None:
        self.cancel()
        if len(self._current_token()) >= self._min_chars:
            self._timer.start()
        else:
            self._clear()

    def _ask(self) -> None:
        token = self._current_token()
        if len(token) < self._min_chars:
            return
        self._asked = token
        self._handle = self._lookup(
            token, lambda people: self._on_result(token, people), lambda error: self._on_error(token, error)
        )

    def _on_result(self, token: str, people: list[Person]) -> None:
        if token != self._current_token():
            return  # the user typed on meanwhile
        self._handle = None
        self._people = list(people)
        self._model.clear()
        for person in people:
            item = QStandardItem(str(person))
            item.setData(person.address, ADDRESS_ROLE)
            item.setToolTip(person.address)
            item.setEditable(False)
            self._model.appendRow(item)
        self.results_ready.emit(len(people))
        if people and self._edit.hasFocus():
            self.complete()
        elif not people:
            self.popup().hide()

    def _on_error(self, token: str, error: BaseException) -> None:
        if token == self._current_token():
            self._handle = None
            self.lookup_failed.emit(str(error))

    def _on_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        address = str(index.data(ADDRESS_ROLE))
        if self._multiple:
            parts = _SEPARATOR.split(self._edit.text())
            kept = [p.strip() for p in parts[:-1] if p.strip()]
            self._edit.setText("; ".join([*kept, address]) + "; ")
        else:
            self._edit.setText(address)
        row = index.row()
        if 0 <= row < len(self._people):
            self.person_chosen.emit(self._people[row])

    def _clear(self) -> None:
        self._people = []
        self._model.clear()
        self.popup().hide()
