"""The contact and contact-group editors of the contacts view (modal forms; nothing is saved here)."""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.contacts import (
    ADDRESS_KINDS,
    MAX_EMAILS,
    PHONE_KINDS,
    Contact,
    ContactGroup,
    PostalAddress,
    too_long,
)
from app.domain.messages import Person
from app.services.contact_photos import PhotoChange
from app.views.contact_photo import Checker, PhotoField

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_MEMBER = re.compile(r"^\s*(?:(?P<name>[^<]*?)\s*<(?P<angle>[^>]+)>|(?P<bare>\S+))\s*$")
_EDITED_PHONES = ("BusinessPhone", "MobilePhone", "HomePhone")


class ContactDialog(QDialog):
    """New or Edit contact: names, company, title, up to three addresses, phones, work address, notes and, given a
    ``check_photo`` (``ContactsService.check_photo``), a photo row (:class:`app.views.contact_photo.PhotoField`)."""

    def __init__(self, contact: Contact | None, where: str, parent: QWidget | None = None, *,
                 photo: QImage | None = None, check_photo: Checker | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactDialog")
        self._original = contact or Contact()
        c = self._original
        self.setWindowTitle(f"Edit {c.name}" if c.item_id else f"New contact in {where}")
        form = QFormLayout()
        self.display = self._line(form, "Display name", c.display_name)
        self.given = self._line(form, "First name", c.given_name)
        self.surname = self._line(form, "Last name", c.surname)
        self.company = self._line(form, "Company", c.company)
        self.title = self._line(form, "Job title", c.job_title)
        self.emails = [self._line(form, f"E-mail {i + 1}" if i else "E-mail",
                                  c.emails[i] if i < len(c.emails) else "") for i in range(MAX_EMAILS)]
        self.phones = {k: self._line(form, f"{PHONE_KINDS[k]} phone", c.phones.get(k, "")) for k in _EDITED_PHONES}
        work = next((a for a in c.addresses if a.kind == "Business"), PostalAddress())
        self.street = self._line(form, "Street", work.street)
        self.city = self._line(form, "City", work.city)
        self.postal = self._line(form, "Postcode", work.postal_code)
        self.country = self._line(form, "Country", work.country)
        self.notes = QPlainTextEdit(c.notes, self)
        self.notes.setFixedHeight(70)
        form.addRow("Notes", self.notes)
        self.error = QLabel("", self)
        self.error.setObjectName("dialogError")
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setWordWrap(True)
        self.photo: PhotoField | None = None
        if check_photo is not None:
            self.photo = PhotoField(c.name, photo, c.has_photo, check_photo, self.error.setText, self)
            form.insertRow(0, "Photo", self.photo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(440, self.sizeHint().height())

    def _line(self, form: QFormLayout, label: str, value: str) -> QLineEdit:
        edit = QLineEdit(value, self)
        edit.setAccessibleName(label)
        form.addRow(label, edit)
        return edit

    def photo_change(self) -> PhotoChange | None:
        """The picture to save (``data`` None: remove it), or None to leave it as it is."""
        return self.photo.change if self.photo is not None else None

    def problem(self) -> str:
        """Why the form cannot be saved, or ""."""
        if self.photo is not None and self.photo.pending:
            return "The photo is still being read; save again in a moment."
        if not (self.display.text().strip() or self.given.text().strip() or self.surname.text().strip()):
            return "Give the contact a name."
        for edit in self.emails:
            text = edit.text().strip()
            if text and not _EMAIL.match(text):
                return f"“{text[:80]}” is not an e-mail address."
        long = too_long(self.contact())
        if long is not None:
            what, length, limit = long
            return f"The {what} is {length:,} characters long; Exchange takes at most {limit:,}."
        return ""

    def _accept(self) -> None:
        problem = self.problem()
        self.error.setText(problem)
        if not problem:
            self.accept()

    def contact(self) -> Contact:
        """The contact as edited (ids of the original kept; phones and addresses the form does not show kept)."""
        c = self._original
        phones = {k: v for k, v in c.phones.items() if k not in _EDITED_PHONES}
        phones.update({k: e.text().strip() for k, e in self.phones.items() if e.text().strip()})
        work = PostalAddress("Business", self.street.text().strip(), self.city.text().strip(), "",
                             self.postal.text().strip(), self.country.text().strip())
        addresses = [a for a in c.addresses if a.kind != "Business"] + ([] if work.is_empty() else [work])
        given, surname = self.given.text().strip(), self.surname.text().strip()
        return replace(
            c, display_name=self.display.text().strip() or " ".join(p for p in (given, surname) if p),
            given_name=given, surname=surname, company=self.company.text().strip(),
            job_title=self.title.text().strip(), emails=[e.text().strip() for e in self.emails if e.text().strip()],
            phones=phones, addresses=sorted(addresses, key=lambda a: list(ADDRESS_KINDS).index(a.kind)
                                            if a.kind in ADDRESS_KINDS else 9),
            notes=self.notes.toPlainText().strip(), notes_loaded=True)


class GroupDialog(QDialog):
    """New or Edit contact group: a name and its members, one ``Name <address>`` per line."""

    def __init__(self, group: ContactGroup | None, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("groupDialog")
        self._original = group or ContactGroup()
        g = self._original
        self.setWindowTitle(f"Edit {g.name}" if g.item_id else f"New contact group in {where}")
        form = QFormLayout()
        self.name = QLineEdit(g.name, self)
        form.addRow("Name", self.name)
        self.members = QPlainTextEdit("\n".join(str(p) for p in g.members), self)
        self.members.setPlaceholderText("One member per line: Name <address>")
        form.addRow("Members", self.members)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #b91c1c;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(440, 320)

    def people(self) -> tuple[list[Person], str]:
        out: list[Person] = []
        for line in self.members.toPlainText().splitlines():
            if not line.strip():
                continue
            match = _MEMBER.match(line)
            address = (match.group("angle") or match.group("bare") or "").strip() if match else ""
            if not _EMAIL.match(address):
                return [], f"“{line.strip()}” is not Name <address>."
            out.append(Person(address, (match.group("name") or "").strip().strip('"') if match else ""))
        return out, ""

    def _accept(self) -> None:
        _people, problem = self.people()
        if not self.name.text().strip():
            problem = "Give the group a name."
        self.error.setText(problem)
        if not problem:
            self.accept()

    def group(self) -> ContactGroup:
        people, _ = self.people()
        return replace(self._original, name=self.name.text().strip(), members=people, members_loaded=True)
