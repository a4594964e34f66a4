"""The Contacts mode in the real window against the emulator over HTTP: support@'s contacts and group, the
directory with team@ expanded, rights in the buttons, Send mail, vCard export/import and a bad file that imports
nothing. Changes run on a private emulator; what the server stored is checked with plain exchangelib.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.domain.contacts import ContactFolder, ContactGroup, contact_capabilities
from app.domain.folders import FolderRef
from app.domain.rights import FolderRights
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.contacts_ui import open_contacts
from tests.support.emulator import account

SUPPORT = "support@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _alice(drive: Callable[..., Driver], emu: Any) -> Driver:
    """alice's window, signed in, with her own mailbox and support@ in the sidebar."""
    d = drive(emu)
    d.wait_mailboxes("alice@example.com", SUPPORT)
    return d


def _select(d: Driver, view: Any, name: str) -> Any:
    with d.qtbot.waitSignal(view.detail_shown, timeout=WAIT_MS):
        assert view.select(name)
    return view.current()


def test_support_contacts_group_and_send_mail(emulator: Any, drive: Callable[..., Driver]) -> None:
    d = _alice(drive, emulator)
    view = open_contacts(d, SUPPORT)
    assert view.folder().ref.mailbox == SUPPORT
    names = view.names()
    assert "Key accounts" in names and len(names) >= 21
    contact = _select(d, view, "Amelia Patel")
    assert "amelia.patel@relecloud.com" in view.detail.toPlainText()
    assert "Relecloud" in view.detail.toPlainText()
    for action in (view.act_new, view.act_edit, view.act_delete, view.act_mail):
        assert action.isEnabled(), action.toolTip()
    window = view.send_mail()
    assert window.draft().to == [contact.primary_email]
    window.confirm_discard = lambda: True  # type: ignore[method-assign]
    window.discard()
    group = _select(d, view, "Key accounts")
    assert isinstance(group, ContactGroup) and len(group.members) == 6
    d.qtbot.keyClicks(view.search, "amelia")
    assert set(view.names()) == {"Amelia Patel", "Amelia Evans"}


def test_directory_expands_team_and_is_read_only(emulator: Any, drive: Callable[..., Driver]) -> None:
    d = _alice(drive, emulator)
    view = open_contacts(d, SUPPORT)
    view.select_source("Directory")
    view.search.setText("team")
    with d.qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.reload()
    group = _select(d, view, "All Staff")
    assert sorted(p.address for p in group.members) == [f"{u}@example.com" for u in ("alice", "bob", "carol", "dave")]
    assert not view.act_new.isEnabled() and "directory cannot be changed" in view.act_new.toolTip()
    assert view.act_mail.isEnabled()


def test_rights_are_explained() -> None:
    folder = ContactFolder(FolderRef("sales@example.com", well_known="contacts"), "Contacts", "Sales Team",
                           FolderRights(read=True))
    caps = contact_capabilities(folder)
    assert not caps["create"] and "may not create contacts in Sales Team › Contacts" in caps["create"].reason
    assert not caps["edit"] and "read-only" in caps["edit"].reason
    assert all(contact_capabilities(ContactFolder(folder.ref, "C", "S", FolderRights.full())).values())


def test_vcard_export_import_and_a_bad_file(
    fresh_emulator: Any, drive: Callable[..., Driver], tmp_path: Path
) -> None:
    d = _alice(drive, fresh_emulator)
    view = open_contacts(d, SUPPORT)
    before = len(view.names())
    _select(d, view, "Amelia Patel")
    out = tmp_path / "amelia.vcf"
    view.export_vcard(str(out), "4.0")
    d.qtbot.waitUntil(out.exists, timeout=WAIT_MS)
    text = out.read_text(encoding="utf-8")
    assert "VERSION:4.0" in text and "amelia.patel@relecloud.com" in text

    bad = tmp_path / "bad.vcf"
    bad.write_bytes(text.encode() + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad\r\nEMAIL:nope\r\nEND:VCARD\r\n")
    view.import_vcard(str(bad))
    d.qtbot.waitUntil(lambda: view.message.isVisible(), timeout=WAIT_MS)
    assert "Nothing was imported from bad.vcf" in view.message.text() and "'nope'" in view.message.text()
    stored = [c.display_name for c in account(fresh_emulator, "carol", "support").contacts.all()]
    assert len(stored) == before  # 24 contacts + the group, unchanged

    with d.qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.import_vcard(str(out))
    d.qtbot.waitUntil(lambda: view.names().count("Amelia Patel") == 2, timeout=WAIT_MS)
    stored = [c.display_name for c in account(fresh_emulator, "carol", "support").contacts.all()]
    assert stored.count("Amelia Patel") == 2 and len(stored) == before + 1


def test_contact_dialog_refuses_values_longer_than_exchange_takes(qtbot: Any) -> None:
    from app.views.contacts_dialogs import ContactDialog

    dialog = ContactDialog(None, "Support Team › Contacts")
    qtbot.addWidget(dialog)
    dialog.display.setText("x" * 300)
    assert dialog.problem() == "The display name is 300 characters long; Exchange takes at most 255."
    dialog.display.setText("Ann")
    dialog.notes.setPlainText("n" * 40_000)
    assert "notes is 40,000 characters long" in dialog.problem()
    dialog.notes.setPlainText("fine")
    assert dialog.problem() == ""
