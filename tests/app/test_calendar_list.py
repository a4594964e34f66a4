"""The calendar list's check boxes: drawn in the calendar's colour (ticked = filled with a white check mark,
unticked = outlined on white), never the solid black squares of the style's own indicator under the list's style
sheet; clicking the box and Space still toggle the calendar. Checks read the rendered pixels."""

from __future__ import annotations

import pytest

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from app.domain.calendar import CalendarRef
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.rights import FolderRights
from app.views.calendar.calendar_list import CalendarList

BLUE, ORANGE = QColor("#2b6cb0"), QColor("#c05621")


def _cal(mailbox: str) -> CalendarRef:
    return CalendarRef(FolderRef(mailbox, f"cal-{mailbox}", "calendar"), "Calendar", Person(mailbox),
                       FolderRights.full())


def _check_rect(cl: CalendarList, cal: CalendarRef) -> QRect:
    item = cl._items[cal.folder.key]
    index = cl.tree.indexFromItem(item)
    opt = QStyleOptionViewItem()
    opt.initFrom(cl.tree)
    opt.rect = cl.tree.visualRect(index)
    cl.tree.itemDelegate().initStyleOption(opt, index)
    opt.widget = cl.tree
    return cl.tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, cl.tree)


def _close(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


@pytest.fixture
def calendars(qtbot):
    cl = CalendarList()
    qtbot.addWidget(cl)
    cl.resize(240, 200)
    own, support = _cal("alice@example.com"), _cal("support@example.com")
    cl.set_calendars([(own, BLUE, True), (support, ORANGE, False)])
    cl.show()
    qtbot.waitExposed(cl)
    return cl, own, support


def test_boxes_are_drawn_in_the_calendars_colours(calendars) -> None:
    cl, own, support = calendars
    image: QImage = cl.tree.viewport().grab().toImage()
    ticked, unticked = _check_rect(cl, own), _check_rect(cl, support)
    assert ticked.width() >= 10 and unticked.width() >= 10
    # ticked: the box is filled with the calendar's colour, and the white check mark crosses it
    inside = [QColor(image.pixel(x, y)) for x in range(ticked.left() + 3, ticked.right() - 2)
              for y in range(ticked.top() + 3, ticked.bottom() - 2)]
    assert sum(_close(c, BLUE) for c in inside) > len(inside) // 3
    assert any(_close(c, QColor("#ffffff"), 30) for c in inside)
    assert not any(_close(c, QColor("#000000"), 30) for c in inside)
    # unticked: white inside, the calendar's colour on the outline
    centre = unticked.center()
    assert _close(QColor(image.pixel(centre)), QColor("#ffffff"), 10)
    edge = [QColor(image.pixel(x, centre.y())) for x in range(unticked.left(), centre.x())]
    assert any(_close(c, ORANGE) for c in edge)
    assert not any(_close(c, QColor("#000000"), 30) for c in edge)


def test_clicking_the_box_and_space_toggle_the_calendar(qtbot, calendars) -> None:
    cl, own, support = calendars
    with qtbot.waitSignal(cl.toggled, check_params_cb=lambda cal, on: cal is support and on):
        QTest.mouseClick(cl.tree.viewport(), Qt.MouseButton.LeftButton, pos=_check_rect(cl, support).center())
    assert cl.is_checked(support)
    cl.set_current(own)
    cl.tree.setFocus()
    with qtbot.waitSignal(cl.toggled, check_params_cb=lambda cal, on: cal is own and not on):
        QTest.keyClick(cl.tree, Qt.Key.Key_Space)
    assert not cl.is_checked(own)
    image = cl.tree.viewport().grab().toImage()
    assert _close(QColor(image.pixel(_check_rect(cl, own).center())), QColor("#ffffff"), 10)  # now outlined
    assert not _close(QColor(image.pixel(_check_rect(cl, support).center())), QColor("#ffffff"), 10)
