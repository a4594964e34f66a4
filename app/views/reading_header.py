"""The header of the reading pane: subject, category chips, the sender's picture, From, date, To, Cc."""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.domain.categories import Category
from app.domain.messages import MessageDetail, Person
from app.views.reading_avatar import Avatar
from app.views.reading_categories import CategoryChips
from app.views.reading_format import format_when, person_name, sender_line


def _secondary(label: QLabel) -> QLabel:
    """Give ``label`` the muted text colour of secondary information (a mix of text and background)."""
    palette = label.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    base = palette.color(QPalette.ColorRole.Base)
    mixed = QColor(
        int(text.red() * 0.62 + base.red() * 0.38),
        int(text.green() * 0.62 + base.green() * 0.38),
        int(text.blue() * 0.62 + base.blue() * 0.38),
    )
    palette.setColor(QPalette.ColorRole.WindowText, mixed)
    label.setPalette(palette)
    return label


def _label(parent: QWidget, name: str, accessible: str, *, rich: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class ReadingHeader(QWidget):
    """Who wrote a message, to whom, when, and about what; the text is selectable."""

    _MAX_PEOPLE_SHOWN = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 12)
        outer.setSpacing(8)

        self.subject_label = _label(self, "subjectLabel", "Subject")
        font = self.subject_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setWeight(QFont.Weight.DemiBold)
        self.subject_label.setFont(font)
        outer.addWidget(self.subject_label)

        self.categories = CategoryChips(self)
        outer.addWidget(self.categories)

        row = QHBoxLayout()
        row.setSpacing(12)
        self.avatar = Avatar(self)
        row.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        people = QVBoxLayout()
        people.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(12)
        self.from_label = _label(self, "fromLabel", "From", rich=True)
        from_font = self.from_label.font()
        from_font.setPointSizeF(from_font.pointSizeF() * 1.08)
        self.from_label.setFont(from_font)
        top.addWidget(self.from_label, 1)
        self.date_label = _secondary(_label(self, "dateLabel", "Date"))
        self.date_label.setWordWrap(False)
        self.date_label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.date_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.date_label, 0, Qt.AlignmentFlag.AlignTop)
        people.addLayout(top)
        self.to_label = _label(self, "toLabel", "To", rich=True)
        self.cc_label = _label(self, "ccLabel", "Cc", rich=True)
        self.last_changed_label = _secondary(_label(self, "lastChangedLabel", "Last changed by"))
        small = self.last_changed_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.92)
        self.last_changed_label.setFont(small)
        for label in (self.to_label, self.cc_label, self.last_changed_label):
            people.addWidget(label)
        row.addLayout(people, 1)
        outer.addLayout(row)

    def show_detail(self, detail: MessageDetail, master: dict[str, Category]) -> None:
        """Fill the header from ``detail``; chip colours come from ``master`` (keyed by casefolded name)."""
        subject = detail.summary.subject.strip()
        self.subject_label.setText(subject or "(no subject)")
        self.subject_label.setAccessibleName(f"Subject: {subject or '(no subject)'}")

        mid = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        shown = detail.sender if detail.on_behalf else (detail.author or detail.sender)
        self.avatar.set_person(shown)

        def who(person: Person | None) -> str:
            if person is None:
                return "<b>(unknown sender)</b>"
            name = html.escape(person_name(person))
            address = html.escape(person.address)
            if person.name and person.name != person.address:
                return f'<b>{name}</b> <span style="color:{mid}">&lt;{address}&gt;</span>'
            return f"<b>{name}</b>"

        if detail.on_behalf:
            rich = f"{who(detail.sender)} on behalf of {who(detail.author)}"
        else:
            rich = who(detail.author or detail.sender)
        self.from_label.setText(rich)
        people = [p for p in (detail.sender, detail.author) if p is not None] if detail.on_behalf else [shown]
        plain = sender_line(detail)
        self.from_label.setAccessibleName(f"From: {plain}")
        self.from_label.setToolTip("\n".join(str(person) for person in people if person is not None))

        when = detail.sent or detail.summary.received
        self.date_label.setText(format_when(when) if when else "")
        self.date_label.setAccessibleName(f"Sent: {self.date_label.text()}" if when else "Sent: unknown")

        for label, caption, people_list in (("to", "To", detail.to), ("cc", "Cc", detail.cc)):
            widget = self.to_label if label == "to" else self.cc_label
            widget.setVisible(bool(people_list))
            widget.setText(self._people_html(caption, people_list))
            widget.setAccessibleName(f"{caption}: " + "; ".join(str(person) for person in people_list))
            shown = [str(person) for person in people_list[:40]]
            if len(people_list) > 40:
                shown.append(f"… and {len(people_list) - 40} more")
            widget.setToolTip("\n".join(shown))

        if detail.last_modified_name:
            text = f"Last changed by {detail.last_modified_name}"
            if detail.last_modified:
                text += f" · {format_when(detail.last_modified)}"
            self.last_changed_label.setText(text)
            self.last_changed_label.setAccessibleName(text)
        self.last_changed_label.setVisible(bool(detail.last_modified_name))

        self.categories.show_categories(detail.summary.categories, master)

    def _people_html(self, caption: str, people: Iterable[Person]) -> str:
        people = list(people)
        names = "; ".join(html.escape(person_name(person)) for person in people[: self._MAX_PEOPLE_SHOWN])
        mid = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        more = len(people) - self._MAX_PEOPLE_SHOWN
        if more > 0:
            names += f' <span style="color:{mid}">and {more} more</span>'
        return f'<span style="color:{mid}">{caption}</span>&nbsp;&nbsp;{names}'
