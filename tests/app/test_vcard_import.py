"""vCard import through the contacts service against the emulator over HTTP: a hostile or over-long file is
refused with a plain sentence and leaves nothing on the server (not in Contacts, not in Deleted Items); a contact
longer than Exchange takes is refused before it is sent. What the server holds is checked with plain exchangelib.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.contacts import Contact
from app.domain.errors import ValueTooLong
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews import contacts
from app.ews.client import EwsClient
from app.services.contacts import ContactsService
from app.tasks import TaskRunner
from tests.support.emulator import BUILD, account

WAIT_MS = 20_000
SUPPORT = "support@example.com"
FOLDER = FolderRef(SUPPORT, well_known="contacts")
GOOD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported %d\r\nEMAIL:imported%d@example.com\r\nEND:VCARD\r\n"


@pytest.fixture
def client(fresh_emulator: Any) -> Iterator[EwsClient]:
    made = EwsClient(fresh_emulator.ews_url, "alice@example.com", "alice-pass", AuthMethod.NTLM,
                     version=ServerVersion(*BUILD), user=MailboxRef("alice@example.com"))
    yield made
    made.close()


@pytest.fixture
def service(qtbot: Any, client: EwsClient) -> Iterator[ContactsService]:
    runner = TaskRunner(max_threads=2)
    yield ContactsService(runner, lambda: client, mailboxes=None)
    assert runner.shutdown(WAIT_MS), "a worker thread did not finish"


def _on_server(emu: Any) -> tuple[int, int]:
    """(items in support@'s Contacts, items in its Deleted Items), as carol (full access) sees them."""
    acc = account(emu, "carol", SUPPORT)
    return acc.contacts.all().count(), acc.trash.all().count()


def _import(qtbot: Any, service: ContactsService, path: Path) -> tuple[list[Contact], list[str]]:
    created: list[Contact] = []
    errors: list[str] = []
    service.import_vcards(FOLDER, path, created.extend, errors.append)
    qtbot.waitUntil(lambda: bool(created or errors), timeout=WAIT_MS)
    return created, errors


def test_one_over_long_card_among_good_ones_imports_nothing(
        qtbot: Any, fresh_emulator: Any, service: ContactsService, tmp_path: Path) -> None:
    before = _on_server(fresh_emulator)
    mixed = tmp_path / "mixed.vcf"
    mixed.write_bytes(b"".join(GOOD % (i, i) for i in range(3))
                      + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long\r\nN:" + b"s" * 300 + b";Given;;;\r\nEND:VCARD\r\n")
    created, errors = _import(qtbot, service, mixed)
    assert not created
    assert errors == ["Nothing was imported from mixed.vcf. Card 4 (line 16): the last name is 300 characters long; "
                      "Exchange takes at most 255."]
    assert _on_server(fresh_emulator) == before  # nothing created, nothing created and taken back


def test_a_huge_or_hostile_file_is_refused_in_plain_words(
        qtbot: Any, fresh_emulator: Any, service: ContactsService, tmp_path: Path) -> None:
    before = _on_server(fresh_emulator)
    huge = tmp_path / "huge.vcf"
    with huge.open("wb") as file:
        file.truncate(2 * 1024 ** 3)  # sparse: no disk, and the import must not read it
    nested = tmp_path / "nested.vcf"
    nested.write_bytes(GOOD % (0, 0) + b"BEGIN:VCARD\r\n" * 10_000 + b"END:VCARD\r\n" * 10_000)
    for path, words in ((huge, "huge.vcf is too large to import (2,048.0 MB)"),
                        (nested, "Line 7: BEGIN:VCARD inside the card begun on line 6")):
        tracemalloc.start()
        try:
            created, errors = _import(qtbot, service, path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 32 * 1024 * 1024, f"{peak:,} bytes allocated to refuse {path.name}"
        assert not created and len(errors) == 1
        assert errors[0].startswith(f"Nothing was imported from {path.name}. ") and words in errors[0], errors[0]
        assert "bug" not in errors[0]
    assert _on_server(fresh_emulator) == before
    created, errors = _import(qtbot, service, _write(tmp_path / "good.vcf", b"".join(GOOD % (i, i) for i in range(2))))
    assert not errors and [c.display_name for c in created] == ["Imported 0", "Imported 1"]
    assert _on_server(fresh_emulator) == (before[0] + 2, before[1])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_contact_longer_than_exchange_takes_is_refused_before_it_is_sent(
        fresh_emulator: Any, client: EwsClient) -> None:
    before = _on_server(fresh_emulator)
    with pytest.raises(ValueTooLong, match="The display name of x+ is 300 characters long; Exchange takes at most 255"):
        contacts.create_contact(client, FOLDER, Contact(display_name="x" * 300))
    with pytest.raises(ValueTooLong, match="The first name of Ann is 256 characters long"):
        contacts.create_contact(client, FOLDER, Contact(display_name="Ann", given_name="g" * 256))
    assert _on_server(fresh_emulator) == before


def test_a_contact_refused_midway_takes_back_the_ones_created_leaving_no_trace(
        fresh_emulator: Any, client: EwsClient) -> None:
    """Two contacts are created, the third is refused: both are deleted for good, not moved to Deleted Items."""
    before = _on_server(fresh_emulator)
    batch = [Contact(display_name="First", emails=["first@example.com"]),
             Contact(display_name="Second", emails=["second@example.com"]),
             Contact(display_name="Third", surname="s" * 256)]
    with pytest.raises(ValueTooLong, match="The last name of Third is 256 characters long"):
        contacts.import_contacts(client, FOLDER, batch)
    assert fresh_emulator.backend.operation_counts.get("CreateItem", 0) >= 2  # they were created, then taken back
    assert _on_server(fresh_emulator) == before
    assert [c.display_name for c in contacts.import_contacts(client, FOLDER, batch[:2])] == ["First", "Second"]
    assert _on_server(fresh_emulator) == (before[0] + 2, before[1])
