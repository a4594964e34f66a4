"""Directory photos (GetUserPhoto) against the emulator: the client call, and the real window's directory detail
pane showing alice's photo round, dave's initials, with one GetUserPhoto per person and the answers cached."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from PySide6.QtGui import QColor

from app.domain.mailbox import AuthMethod, ServerVersion
from app.ews.client import EwsClient
from app.ews.user_photo import user_photo
from ews_emulator.seedgen.photos import background_of
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.emulator import BUILD

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)
PLACEHOLDER = (0x2B, 0x6C, 0xB0)  # app.views.contact_photo.PLACEHOLDER_COLOR


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def _close(color: QColor, rgb: tuple[int, int, int], slack: int = 4) -> bool:
    return all(abs(a - b) <= slack for a, b in zip((color.red(), color.green(), color.blue()), rgb, strict=True))


@pytest.fixture
def bob_client(emulator: Any) -> Iterator[EwsClient]:
    client = EwsClient(emulator.ews_url, "bob@example.com", "bob-pass", AuthMethod.NTLM, ServerVersion(*BUILD))
    yield client
    client.close()


def test_user_photo_reads_a_photo_and_none_without_one(emulator: Any, bob_client: EwsClient) -> None:
    counts = emulator.backend.operation_counts
    before = counts.get("GetUserPhoto", 0)
    photo = user_photo(bob_client, "alice@example.com")
    assert photo is not None and _png_size(photo) == (96, 96)
    assert _png_size(user_photo(bob_client, "carol@example.com", "HR48x48") or b"") == (48, 48)
    # No photo (HTTP 404, ErrorItemNotFound) is None, not an error; the pooled connection keeps working.
    assert user_photo(bob_client, "dave@example.com") is None
    assert user_photo(bob_client, "nobody@example.com") is None
    assert user_photo(bob_client, "support@example.com") is not None
    assert counts.get("GetUserPhoto", 0) - before == 5  # one request each, no retries
    with pytest.raises(ValueError):
        user_photo(bob_client, "alice@example.com", "HR50x50")


def _directory_person(d: Driver, view: Any, search: str, name: str) -> Any:
    view.search.setText(search)
    with d.qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.reload()
    with d.qtbot.waitSignal(view.detail_shown, timeout=WAIT_MS):
        assert view.select(name), view.names()
    return view.current()


def test_directory_detail_shows_photo_or_initials_and_caches(emulator: Any,
                                                             drive: Callable[..., Driver]) -> None:
    d = drive(emulator, "bob")
    d.wait_mailboxes("bob@example.com", "sales@example.com")
    view = d.window.contacts_view
    view.open_mode()
    view.refresh_sources()
    view.select_source("Directory")
    counts = emulator.backend.operation_counts
    before = counts.get("GetUserPhoto", 0)

    # alice has a directory photo: it arrives in a worker and is shown round in the detail pane.
    with d.qtbot.waitSignal(view.photo_shown, timeout=WAIT_MS) as shown:
        alice = _directory_person(d, view, "alice", "Alice Archer")
    assert shown.args[0].primary_email == "alice@example.com" and alice.source == "directory"
    assert view.avatar_is_photo
    avatar = view.avatar
    ratio = avatar.devicePixelRatio()

    def at(x: float, y: float) -> QColor:
        return avatar.pixelColor(round(x * ratio), round(y * ratio))

    assert at(1, 1).alpha() == 0 and at(70, 70).alpha() == 0  # round-cropped
    assert _close(at(36, 6), background_of("Alice Archer"), 6)  # the portrait the directory holds for her
    assert _close(at(36, 27), (0xF2, 0xF2, 0xF2), 6)  # the silhouette's head
    assert "mailroom-avatar:current" in view.detail.toHtml()
    assert counts.get("GetUserPhoto", 0) - before == 1

    # dave has none: one GetUserPhoto (answered 404), then the initials stay on the placeholder colour.
    service = view.service
    _directory_person(d, view, "dave", "Dave Diaz")
    d.qtbot.waitUntil(lambda: service.directory_photos.lookup("dave@example.com")[0], timeout=WAIT_MS)
    d.qtbot.waitUntil(lambda: view.detail._handle is None, timeout=WAIT_MS)
    assert not view.avatar_is_photo and view.photo_of(view.current()) is None
    assert _close(view.avatar.pixelColor(round(36 * ratio), round(4 * ratio)), PLACEHOLDER)
    assert counts.get("GetUserPhoto", 0) - before == 2

    # Both answers are cached per address: a new search and selecting them again asks the server nothing.
    _directory_person(d, view, "alice", "Alice Archer")
    assert view.avatar_is_photo and _close(view.avatar.pixelColor(round(36 * ratio), round(6 * ratio)),
                                           background_of("Alice Archer"), 6)
    _directory_person(d, view, "dave", "Dave Diaz")
    assert not view.avatar_is_photo
    assert view.detail._handle is None
    assert counts.get("GetUserPhoto", 0) - before == 2
