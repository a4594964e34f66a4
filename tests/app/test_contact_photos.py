"""Contact photos in the real window against the emulator: a seeded picture appears round in the detail pane,
a picture chosen in the contact dialog is stored on the server and shown, removing it works, and bad files are
refused with a clear reason. What the server holds is checked with plain exchangelib."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from exchangelib import Contact as EwsContact

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialogButtonBox

from ews_emulator.seedgen.photos import background_of
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.contacts_ui import open_contacts
from tests.support.emulator import account

SALES = "sales@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _sales_view(drive: Callable[..., Driver], emu: Any) -> tuple[Driver, Any]:
    d = drive(emu, "bob")
    d.wait_mailboxes("bob@example.com", SALES)
    return d, open_contacts(d, SALES)


def _server_contacts(emu: Any) -> dict[str, EwsContact]:
    acc = account(emu, "bob", SALES)
    return {c.display_name: c for c in acc.contacts.all().only("display_name", "has_picture")
            if isinstance(c, EwsContact)}


def _close(color: QColor, rgb: tuple[int, int, int], slack: int = 4) -> bool:
    return all(abs(a - b) <= slack for a, b in zip((color.red(), color.green(), color.blue()), rgb, strict=True))


def _png(path: Path, width: int, height: int, color: str) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path), "PNG")
    return path


def _save(d: Driver, dialog: Any) -> None:
    d.qtbot.waitUntil(lambda: dialog.photo is not None and not dialog.photo.pending, timeout=WAIT_MS)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert not dialog.error.text(), dialog.error.text()


def test_seeded_photo_appears_round_in_the_detail_pane(emulator: Any, drive: Callable[..., Driver]) -> None:
    on_server = _server_contacts(emulator)
    with_photo = sorted(n for n, c in on_server.items() if c.has_picture)
    without = sorted(n for n, c in on_server.items() if not c.has_picture)
    assert len(with_photo) == 4
    d, view = _sales_view(drive, emulator)
    name = with_photo[0]
    with d.qtbot.waitSignal(view.photo_shown, timeout=WAIT_MS):
        assert view.select(name)
    assert view.avatar_is_photo
    avatar = view.avatar
    ratio = avatar.devicePixelRatio()
    assert (avatar.width() / ratio, avatar.height() / ratio) == (72, 72)

    def at(x: float, y: float) -> QColor:
        return avatar.pixelColor(round(x * ratio), round(y * ratio))

    assert at(1, 1).alpha() == 0 and at(70, 70).alpha() == 0  # round-cropped: the corners are transparent
    assert _close(at(36, 27), (0xF2, 0xF2, 0xF2))  # the silhouette's head (96 px scaled to 72)
    assert _close(at(36, 6), background_of(name))  # the background the emulator painted for this name
    html = view.detail.toHtml()
    assert "mailroom-avatar:current" in html and "holds a photo" not in view.detail.toPlainText()
    # The pane really paints it: many pixels of the portrait's background colour on screen.
    shot = view.detail.viewport().grab().toImage()
    painted = sum(_close(shot.pixelColor(x, y), background_of(name), 2)
                  for x in range(0, min(shot.width(), 260), 2) for y in range(0, min(shot.height(), 160), 2))
    assert painted > 100
    # A contact without a picture: the initials on the placeholder colour, and no photo request.
    with d.qtbot.waitSignal(view.detail_shown, timeout=WAIT_MS):
        assert view.select(without[0])
    assert not view.avatar_is_photo and view.photo_of(view.current()) is None
    assert _close(view.avatar.pixelColor(round(36 * ratio), round(4 * ratio)), (0x2B, 0x6C, 0xB0))


def test_setting_and_removing_a_photo_round_trips(fresh_emulator: Any, drive: Callable[..., Driver],
                                                  tmp_path: Path) -> None:
    emu = fresh_emulator
    name = sorted(n for n, c in _server_contacts(emu).items() if not c.has_picture)[0]
    d, view = _sales_view(drive, emu)
    with d.qtbot.waitSignal(view.detail_shown, timeout=WAIT_MS):
        assert view.select(name)
    assert view.act_edit.isEnabled(), view.act_edit.toolTip()
    dialog = view._edit_contact(view.current())
    assert dialog.photo is not None and not dialog.photo.remove_button.isEnabled()
    dialog.photo.choose(str(_png(tmp_path / "face.png", 200, 100, "#c0392b")))
    d.qtbot.waitUntil(lambda: dialog.photo_change() is not None, timeout=WAIT_MS)
    assert dialog.photo_change().content_type == "image/png"
    with d.qtbot.waitSignal(view.photo_shown, timeout=WAIT_MS):
        _save(d, dialog)
    assert view.current().name == name and view.avatar_is_photo
    assert _close(view.avatar.pixelColor(view.avatar.width() // 2, view.avatar.height() // 2), (0xC0, 0x39, 0x2B))
    stored = account(emu, "bob", SALES).contacts.get(id=view.current().item_id)
    assert stored.has_picture
    [picture] = [a for a in stored.attachments if a.is_contact_photo]
    assert QImage.fromData(picture.content).size().toTuple() == (200, 100)
    # Replacing keeps one picture; removing clears HasPicture and the pane falls back to the initials.
    dialog = view._edit_contact(view.current())
    assert dialog.photo.remove_button.isEnabled()
    dialog.photo.remove()
    _save(d, dialog)
    d.qtbot.waitUntil(lambda: not account(emu, "bob", SALES).contacts.get(id=view.current().item_id).has_picture,
                      timeout=WAIT_MS)
    d.qtbot.waitUntil(lambda: view.current() is not None and not view.current().has_photo
                      and not view.avatar_is_photo, timeout=WAIT_MS)
    stored = account(emu, "bob", SALES).contacts.get(id=view.current().item_id)
    assert not [a for a in stored.attachments or [] if a.is_contact_photo]


@pytest.mark.qt_log_ignore("Corrupt JPEG data.*", "JPEG datastream contains no image", extend=True)
def test_bad_photo_files_are_refused(emulator: Any, drive: Callable[..., Driver], tmp_path: Path) -> None:
    d, view = _sales_view(drive, emulator)
    with d.qtbot.waitSignal(view.detail_shown, timeout=WAIT_MS):
        assert view.select(view.names()[-1])
    dialog = view._edit_contact(view.current())
    cases = {
        "notes.png": (b"this is text, not a picture", "is not a picture"),
        "huge.png": (b"\x89PNG\r\n\x1a\n" + bytes(4 * 1024 * 1024 + 1), "at most 4 MB"),
        "broken.jpg": (b"\xff\xd8\xff\xe0" + b"garbage" * 50, "cannot be read"),
    }
    for file_name, (content, reason) in cases.items():
        path = tmp_path / file_name
        path.write_bytes(content)
        dialog.photo.choose(str(path))
        d.qtbot.waitUntil(lambda reason=reason: reason in dialog.error.text(), timeout=WAIT_MS)
        assert file_name in dialog.error.text()
        assert dialog.photo_change() is None  # nothing will be saved
    dialog.reject()
