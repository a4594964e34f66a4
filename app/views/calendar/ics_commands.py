"""What "Export to .ics…", "Import .ics…" and an .ics attachment's "Add to calendar…" do.

The file dialogs are behind two callables (``choose_save_path`` / ``choose_open_path``) that tests replace; reading,
parsing and writing files run in workers through :class:`~app.services.calendar.CalendarService`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from app.domain.calendar import CalendarRef
from app.domain.filenames import safe_filename
from app.domain.folders import FolderRef
from app.views.calendar.ics_dialogs import ExportDialog, ImportPreviewDialog

ChoosePath = Callable[[str], str | None]
ICS_FILTER = "iCalendar files (*.ics *.ical);;All files (*)"


class IcsCommands(QObject):
    """Args: window (dialogs' parent), pane (the calendar pane: its calendars, time zone, status), service.

    Attributes:
        choose_save_path: Proposed file name -> the path to write, or None (cancelled). A file dialog by default.
        choose_open_path: Folder to start in -> the file to read, or None. A file dialog by default.
        dialogs: The dialogs open now (for tests).
    """

    def __init__(self, window: QWidget, pane: Any, service: Any) -> None:
        super().__init__(pane)
        self.window = window
        self.pane = pane
        self.service = service
        self.choose_save_path: ChoosePath = self._save_file_dialog
        self.choose_open_path: ChoosePath = self._open_file_dialog
        self.dialogs: list[QWidget] = []
        self._waiting_for_calendars: list[ImportPreviewDialog] = []
        pane.calendar_list.export_requested.connect(self.export_calendar)
        pane.calendar_list.import_requested.connect(self.import_file)
        service.calendars_loaded.connect(self._calendars_arrived)

    # -- export ------------------------------------------------------------------------------------------------
    def export_calendar(self, cal: CalendarRef) -> ExportDialog:
        dialog = ExportDialog(cal, self.pane.tz, datetime.now(self.pane.tz).date(), self.window)
        dialog.export_requested.connect(lambda start, end: self._export(dialog, cal, start, end))
        return self._show(dialog)

    def _export(self, dialog: ExportDialog, cal: CalendarRef, start: datetime | None, end: datetime | None) -> None:
        owner = cal.owner.name or cal.folder.mailbox
        proposed = safe_filename(f"{owner} - {cal.name}.ics")
        path = self.choose_save_path(proposed)
        if not path:
            return
        dialog.show_busy(path)

        def done(count: int) -> None:
            _while_open(dialog, dialog.show_done)(count, path)
            self.pane.status.emit(f"Exported {count} events of {cal.name} to {Path(path).name}.")

        self.service.export_ics_file(cal, path, start, end, on_result=done,
                                     on_error=_while_open(dialog, dialog.show_error), tz=self.pane.tz)

    # -- import ------------------------------------------------------------------------------------------------
    def writable_calendars(self) -> list[CalendarRef]:
        """The open calendars the user may create events in."""
        return [self.pane.calendars[k] for k in self.pane.order
                if k in self.pane.calendars and self.pane.calendars[k].rights.create_contents
                and not self.pane.calendars[k].free_busy_only]

    def import_file(self, cal: CalendarRef | None = None) -> ImportPreviewDialog | None:
        """Pick a file, then show what it will create in ``cal`` (or another calendar the user chooses)."""
        path = self.choose_open_path(str(Path.home()))
        if not path:
            return None
        dialog = self._preview_dialog(Path(path).name, cal)
        data: dict[str, bytes] = {}

        def read(result: tuple[bytes, list[Any]]) -> None:
            data["bytes"], drafts = result
            _while_open(dialog, dialog.show_drafts)(drafts)

        dialog.import_requested.connect(lambda target: self._import(dialog, data.get("bytes", b""), target))
        target = cal or dialog.chosen_target()
        self.service.read_ics_file(path, target.folder if target is not None else self._any_folder(), read,
                                   _while_open(dialog, dialog.show_error))
        return dialog

    def preview_data(self, data: bytes, source: str) -> ImportPreviewDialog:
        """"Add to calendar…" for an .ics attachment: the same preview, from bytes already fetched."""
        dialog = self._preview_dialog(source, self.pane.target_calendar())
        dialog.import_requested.connect(lambda target: self._import(dialog, data, target))
        target = dialog.chosen_target()
        self.service.preview_ics(data, target.folder if target is not None else self._any_folder(),
                                 on_result=_while_open(dialog, dialog.show_drafts),
                                 on_error=_while_open(dialog, dialog.show_error))
        return dialog

    def _preview_dialog(self, source: str, chosen: CalendarRef | None) -> ImportPreviewDialog:
        writable = self.writable_calendars()
        if chosen is not None and chosen.folder.key not in {c.folder.key for c in writable}:
            chosen = None
        dialog = ImportPreviewDialog(source, writable, self.pane.tz, chosen, self.window)
        if not self.pane.calendars:  # the Calendar mode was never opened: ask for the calendars now
            self._waiting_for_calendars.append(dialog)
            dialog.destroyed.connect(lambda *_: self._waiting_for_calendars.remove(dialog)
                                     if dialog in self._waiting_for_calendars else None)
            self.pane.refresh_calendars()
        return self._show(dialog)

    def _calendars_arrived(self, _found: Any) -> None:
        # The pane has taken them in already (it connected first).
        for dialog in list(self._waiting_for_calendars):
            dialog.set_targets(self.writable_calendars(), self.pane.target_calendar())
        self._waiting_for_calendars.clear()

    @staticmethod
    def _any_folder() -> FolderRef:
        return FolderRef("", well_known="calendar")  # parsing only; the target is chosen before importing

    def _import(self, dialog: ImportPreviewDialog, data: bytes, target: CalendarRef) -> None:
        if not data:
            return
        dialog.show_busy()

        def done(created: list[Any]) -> None:
            _while_open(dialog, dialog.show_done)(len(created), target)
            self.pane.status.emit(f"Imported {len(created)} events into {target.name}.")

        self.service.import_ics(data, target.folder, on_result=done, on_error=_while_open(dialog, dialog.show_error))

    # -- helpers -----------------------------------------------------------------------------------------------
    def _save_file_dialog(self, proposed: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export to .ics", str(Path.home() / proposed), ICS_FILTER)
        return path or None

    def _open_file_dialog(self, start: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import .ics", start, ICS_FILTER)
        return path or None

    def _show(self, dialog: Any) -> Any:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        dialog.show()
        return dialog


def _while_open(dialog: QWidget, fn: Callable[..., Any]) -> Callable[..., None]:
    """``fn`` for a worker's answer, dropped when the user closed (and Qt deleted) ``dialog`` meanwhile."""
    def call(*args: Any) -> None:
        if shiboken6.isValid(dialog):
            fn(*args)

    return call
