"""The Contacts mode's detail pane: a contact (its round picture, or initials, then e-mails, phones, addresses,
notes) or a group (its members, linked for "Send mail").

A contact's picture is read in a worker when the server says it has one (``HasPicture``) and kept per (item id,
change key), so a changed contact reads it again. A directory person's photo (GetUserPhoto) is asked for once per
address; the service keeps the answer, a photo or "none" (then the initials stay).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from app.domain.contacts import ADDRESS_KINDS, PHONE_KINDS, Contact, ContactGroup
from app.domain.folders import FolderRef
from app.views.contact_photo import AVATAR_SIZE, round_avatar

AVATAR_URL = "mailroom-avatar:current"
_PHOTO_CACHE = 200


class ContactDetail(QTextBrowser):
    """Shows one contact or group (:meth:`show_item`) and reads contacts' pictures (:meth:`load_photo`).

    Args:
        service: The :class:`~app.services.contacts.ContactsService` (its ``photo`` and ``directory_photo`` tasks).
        parent: The contacts view.
        current: The item the view has selected now (a picture is shown only if it is still that contact's);
            by default the item shown last.

    Attributes:
        avatar: What the pane shows for the current contact (its round picture or initials), else None.
        avatar_is_photo: The avatar is the contact's picture (not initials).

    Signals:
        photo_shown(Contact): the shown contact's picture arrived and is shown.
        failed(str): reading a picture failed (user-facing text).
    """

    photo_shown = Signal(object)
    failed = Signal(str)

    def __init__(self, service: Any, parent: QWidget | None = None,
                 current: Callable[[], Contact | ContactGroup | None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactDetail")
        self.setOpenLinks(False)
        self.service = service
        self._shown: Contact | ContactGroup | None = None
        self._current = current or (lambda: self._shown)
        self._handle: Any = None
        self._photos: dict[tuple[str, str], QImage] = {}  # (item id, change key) -> picture
        self.avatar: QImage | None = None
        self.avatar_is_photo = False

    def show_item(self, data: Contact | ContactGroup | None) -> None:
        """Show ``data`` (None: the "select a contact" hint), with the contact's picture when read already."""
        self._shown = data
        if not isinstance(data, Contact):
            self.avatar, self.avatar_is_photo = None, False
            self.setHtml(detail_html(data))
            return
        image = self.photo_of(data)
        self.avatar = round_avatar(image, data.name, AVATAR_SIZE, self.devicePixelRatioF())
        self.avatar_is_photo = image is not None
        self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(AVATAR_URL), self.avatar)
        self.setHtml(detail_html(data, AVATAR_URL))

    def load_photo(self, folder: FolderRef | None, contact: Contact) -> None:
        """Read the contact's picture in a worker when it has one that is not read yet (one read at a time); for a
        directory person (``folder`` None), ask the directory for their photo unless it was asked already."""
        if contact.source == "directory":
            self._load_directory_photo(contact)
            return
        if folder is None:
            return
        key = (contact.item_id, contact.change_key)
        if not contact.has_photo or key in self._photos or self._handle is not None:
            return
        self._handle = self.service.photo(folder, contact, lambda image: self._photo_arrived(key, image),
                                          self._photo_failed)

    def cancel_photo(self) -> None:
        """Drop the answer of a picture read still running (another item is being shown)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def photo_of(self, contact: Contact) -> QImage | None:
        """The contact's (or directory person's) picture when it was read already."""
        if contact.source == "directory":
            return self.service.directory_photos.lookup(contact.primary_email)[1] if contact.primary_email else None
        return self._photos.get((contact.item_id, contact.change_key))

    def _load_directory_photo(self, contact: Contact) -> None:
        address = contact.primary_email
        if not address or self._handle is not None or self.service.directory_photos.lookup(address)[0]:
            return
        self._handle = self.service.directory_photo(
            address, lambda image: self._directory_photo_arrived(address, image), self._photo_failed)

    def _directory_photo_arrived(self, address: str, image: QImage | None) -> None:
        self._handle = None
        shown = self._current()
        if not (isinstance(shown, Contact) and shown.source == "directory"
                and shown.primary_email.casefold() == address.casefold()):
            return
        if image is not None:
            self.show_item(shown)
            self.photo_shown.emit(shown)

    def _photo_arrived(self, key: tuple[str, str], image: QImage | None) -> None:
        self._handle = None
        if image is None:
            return
        if len(self._photos) >= _PHOTO_CACHE:
            self._photos.pop(next(iter(self._photos)))
        self._photos[key] = image
        shown = self._current()
        if isinstance(shown, Contact) and (shown.item_id, shown.change_key) == key:
            self.show_item(shown)
            self.photo_shown.emit(shown)

    def _photo_failed(self, text: str) -> None:
        self._handle = None
        self.failed.emit(text)


def detail_html(data: Contact | ContactGroup | None, avatar: str = "") -> str:
    """The detail pane's HTML for a contact, a group or nothing; ``avatar``: the URL of the contact's round
    picture (a document resource) shown instead of the initials block."""
    e = html.escape
    if data is None:
        return "<p style='color:#64748b; margin:24px'>Select a contact to see the details.</p>"
    rows: list[tuple[str, str]] = []
    if isinstance(data, ContactGroup):
        sub = "Directory group" if data.source == "directory" else "Contact group"
        members = [f"<a href='mailto:{e(p.address)}'>{e(p.name or p.address)}</a>"
                   + (f" <span style='color:#64748b'>&lt;{e(p.address)}&gt;</span>" if p.name else "")
                   for p in data.members]
        rows.append(("Members", "<br>".join(members) if data.members_loaded else "Loading …"))
        initials, title = "".join(w[0] for w in data.name.split()[:2]).upper() or "G", sub + (f" · {len(data.members)} members" if data.members_loaded else "")
    else:
        initials = "".join(w[0] for w in data.name.split()[:2]).upper() or "?"
        title = " · ".join(e(p) for p in (data.job_title, data.company, data.department) if p)
        if data.emails:
            rows.append(("E-mail", "<br>".join(f"<a href='mailto:{e(a)}'>{e(a)}</a>" for a in data.emails)))
        for kind, number in data.phones.items():
            rows.append((PHONE_KINDS.get(kind, kind), e(number)))
        for address in data.addresses:
            rows.append((f"{ADDRESS_KINDS.get(address.kind, address.kind)} address",
                         "<br>".join(e(line) for line in address.lines())))
        if data.notes:
            rows.append(("Notes", e(data.notes).replace("\n", "<br>")))
        if data.has_photo and not avatar:
            rows.append(("Photo", "The server holds a photo of this contact."))
    body = "".join(f"<tr><td style='color:#64748b; padding:6px 16px 6px 0; vertical-align:top'>{e(label)}</td>"
                   f"<td style='padding:6px 0'>{value}</td></tr>" for label, value in rows)
    badge = (f"<td><img src='{e(avatar)}' width='{AVATAR_SIZE}' height='{AVATAR_SIZE}'></td>" if avatar else
             f"<td style='background:#2b6cb0; color:white; font-size:20px; font-weight:600; padding:14px 16px'>"
             f"{e(initials)}</td>")
    return (f"<div style='margin:18px 24px'><table><tr>{badge}<td style='padding-left:16px'>"
            f"<div style='font-size:20px; font-weight:600'>{e(data.name)}</div>"
            f"<div style='color:#475569; margin-top:4px'>{title}</div></td></tr></table>"
            f"<table width='100%' style='margin-top:14px; border-top:1px solid #e2e8f0'><tr><td></td></tr></table>"
            f"<table style='font-size:13px'>{body}</table></div>")
