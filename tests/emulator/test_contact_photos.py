"""Contact photos over real HTTP: seeded pictures, CreateAttachment with IsContactPhoto, HasPicture, rights."""

from __future__ import annotations

import base64
import struct

from exchangelib import Contact, FileAttachment

from ews_emulator.rights import ROLES
from ews_emulator.seedgen.photos import background_of, portrait_png
from tests.emulator.test_items_read import NS, codes, get_xml, soap, store_of
from tests.support.emulator import account

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_seeded_sales_contacts_have_photos(emulator):
    bob = account(emulator, "bob", "sales@example.com")
    contacts = [c for c in bob.contacts.all().only("display_name", "has_picture") if isinstance(c, Contact)]
    with_photo = [c for c in contacts if c.has_picture]
    assert len(with_photo) == 4 and len(contacts) > 4
    item = bob.contacts.get(id=with_photo[0].id)
    [photo] = [a for a in item.attachments if isinstance(a, FileAttachment) and a.is_contact_photo]
    assert photo.content_type == "image/png" and _png_size(photo.content) == (96, 96)
    assert photo.content == portrait_png(item.display_name)  # deterministic
    # A contact without a picture has no photo attachment and says so.
    plain = bob.contacts.get(id=next(c for c in contacts if not c.has_picture).id)
    assert not plain.has_picture and not [a for a in plain.attachments or [] if a.is_contact_photo]
    assert background_of("Ann") == background_of("Ann")


def test_create_attachment_as_contact_photo_sets_has_picture(fresh_emulator):
    emu = fresh_emulator
    bob = account(emu, "bob", "sales@example.com")
    contact = Contact(account=bob, folder=bob.contacts, display_name="Photo Person", given_name="Photo",
                      surname="Person")
    contact.save()
    assert not bob.contacts.get(id=contact.id).has_picture
    picture = FileAttachment(name="ContactPicture.jpg", content=portrait_png("Photo Person", 48),
                             content_type="image/png", is_contact_photo=True)
    contact.attach(picture)
    got = bob.contacts.get(id=contact.id)
    assert got.has_picture
    [att] = got.attachments
    assert att.is_contact_photo and _png_size(att.content) == (48, 48)
    # An ordinary attachment is not a picture.
    contact.attach(FileAttachment(name="notes.txt", content=b"hello", content_type="text/plain"))
    got = bob.contacts.get(id=contact.id)
    assert sorted((a.name, a.is_contact_photo) for a in got.attachments) == [("ContactPicture.jpg", True),
                                                                             ("notes.txt", False)]
    # Removing the picture clears HasPicture.
    photo = next(a for a in got.attachments if a.is_contact_photo)
    got.detach(photo)
    assert not bob.contacts.get(id=contact.id).has_picture


def test_a_reviewer_cannot_set_a_photo(fresh_emulator):
    emu = fresh_emulator
    store = store_of(emu)
    sales = store.directory.by_smtp("sales@example.com")
    folder = store.folders.by_well_known(sales.id, "contacts")
    entries = store.folders.permissions(folder.id)
    entries[store.directory.by_smtp("dave@example.com").id] = ROLES["Reviewer"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, folder.id, entries)
    bob = account(emu, "bob", "sales@example.com")
    target = next(c for c in bob.contacts.all() if isinstance(c, Contact) and not c.has_picture)
    content = base64.b64encode(portrait_png("x", 8)).decode()
    body = soap(emu, "dave", f'<m:CreateAttachment><m:ParentItemId Id="{target.id}"/><m:Attachments>'
                             '<t:FileAttachment><t:Name>ContactPicture.jpg</t:Name><t:IsContactPhoto>true'
                             f'</t:IsContactPhoto><t:Content>{content}</t:Content></t:FileAttachment>'
                             '</m:Attachments></m:CreateAttachment>')
    assert codes(body) == ["ErrorAccessDenied"]
    assert not bob.contacts.get(id=target.id).has_picture
    # dave can read the contact (Reviewer) and sees HasPicture.
    got = soap(emu, "dave", get_xml(f'<t:ItemId Id="{target.id}"/>', base="AllProperties"))
    assert got.findtext(".//t:Contact/t:HasPicture", namespaces=NS) == "false"


def test_an_older_store_file_gets_the_photo_column(tmp_path):
    import sqlite3

    from ews_emulator.store.db import Database

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE attachments (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL,"
                    " name TEXT NOT NULL, content_type TEXT NOT NULL, content_id TEXT, is_inline INTEGER NOT NULL"
                    " DEFAULT 0, size INTEGER NOT NULL, content BLOB, item_xml BLOB, modified INTEGER NOT NULL)")
    db = Database(path)
    try:
        columns = {r[1] for r in db.connection().execute("PRAGMA table_info(attachments)")}
        assert "is_contact_photo" in columns
    finally:
        db.close()
