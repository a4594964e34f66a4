"""CalendarView: recurring masters expanded into occurrences (deleted and moved instances honoured),
occurrence ids usable in GetItem, free/busy-only readers, and Exchange's CalendarView errors.

The expected occurrences of the weekly "Support stand-up" are computed here from the master's stored
recurrence (days of week, range, deleted and modified occurrences), independently of the emulator's code.
"""

from __future__ import annotations

import datetime as dt

import pytest
from exchangelib import EWSDateTime
from lxml import etree

from ews_emulator.rights import ROLES
from ews_emulator.store.ids import decode_id, encode_id
from tests.emulator.test_items_read import NS, codes, folder_xml, get_xml, soap, store_of
from tests.support.emulator import account

UTC = dt.UTC
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def standup_master(emu, mailbox: str = "support@example.com"):
    store = store_of(emu)
    owner = store.directory.by_smtp(mailbox)
    folder = store.folders.by_well_known(owner.id, "calendar")
    rows = store.items.select("folder_id = ? AND recurring = 1 AND subject = 'Support stand-up'", (folder.id,))
    assert len(rows) == 1
    return rows[0], folder


def ts(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def expected_standups(row, start: int, end: int) -> list[tuple[int, int, int, bool]]:
    """(index, start, end, moved) of each instance overlapping [start, end), from the stored XML."""
    el = etree.fromstring(row.xml)
    weekly = el.find("t:Recurrence/t:WeeklyRecurrence", NS)
    assert weekly is not None and weekly.findtext("t:Interval", namespaces=NS) == "1"
    assert el.find("t:StartTimeZone", NS).get("Id") == "UTC"
    days = {WEEKDAYS.index(d) for d in weekly.findtext("t:DaysOfWeek", namespaces=NS).split()}
    first = dt.date.fromisoformat(el.findtext("t:Recurrence/*/t:StartDate", namespaces=NS)[:10])
    last = dt.date.fromisoformat(el.findtext("t:Recurrence/t:EndDateRecurrence/t:EndDate", namespaces=NS)[:10])
    master_start, master_end = ts(el.findtext("t:Start", namespaces=NS)), ts(el.findtext("t:End", namespaces=NS))
    time_of_day = master_start % 86400
    deleted = {dt.datetime.fromtimestamp(ts(d.text), UTC).date()
               for d in el.iterfind("t:DeletedOccurrences/t:DeletedOccurrence/t:Start", NS)}
    moved = {dt.datetime.fromtimestamp(ts(o.findtext("t:OriginalStart", namespaces=NS)), UTC).date():
             (ts(o.findtext("t:Start", namespaces=NS)), ts(o.findtext("t:End", namespaces=NS)))
             for o in el.iterfind("t:ModifiedOccurrences/t:Occurrence", NS)}
    out, index, day = [], 0, first
    while day <= last:
        if day.weekday() in days:
            index += 1
            if day not in deleted:
                s = int(dt.datetime.combine(day, dt.time(), UTC).timestamp()) + time_of_day
                s, e = moved.get(day, (s, s + master_end - master_start))
                if s < end and e > start:
                    out.append((index, s, e, day in moved))
        day += dt.timedelta(days=1)
    return out


def window(row, weeks_before: int = 3, weeks_after: int = 4) -> tuple[int, int]:
    """A window around today that overlaps the stand-up series."""
    now = int(dt.datetime.now(UTC).timestamp())
    return now - weeks_before * 7 * 86400, now + weeks_after * 7 * 86400


def view_xml(mailbox: str, start: int, end: int, props: str = "", extra: str = "", max_entries: int | None = None,
             folder: str = "calendar") -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    s, e = dt.datetime.fromtimestamp(start, UTC).strftime(fmt), dt.datetime.fromtimestamp(end, UTC).strftime(fmt)
    limit = f' MaxEntriesReturned="{max_entries}"' if max_entries else ""
    additional = f"<t:AdditionalProperties>{props}</t:AdditionalProperties>" if props else ""
    return (f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>{additional}'
            f'</m:ItemShape><m:CalendarView{limit} StartDate="{s}" EndDate="{e}"/>{extra}'
            f'<m:ParentFolderIds>{folder_xml(mailbox, folder)}</m:ParentFolderIds></m:FindItem>')


def test_view_expands_the_weekly_standup(emulator):
    row, _ = standup_master(emulator)
    start, end = window(row)
    expected = expected_standups(row, start, end)
    assert len(expected) >= 6
    acc = account(emulator, "alice", "support@example.com")
    tz = acc.default_timezone
    items = list(acc.calendar.view(EWSDateTime.fromtimestamp(start, tz), EWSDateTime.fromtimestamp(end, tz)))
    standups = [i for i in items if i.subject == "Support stand-up"]
    assert [(int(i.start.timestamp()), int(i.end.timestamp())) for i in standups] == \
        [(s, e) for _i, s, e, _m in expected]
    assert [i.type for i in standups] == ["Exception" if moved else "Occurrence" for *_x, moved in expected]
    assert all(i.is_recurring for i in standups)
    assert [decode_id(i.id).extra for i in standups] == [index for index, *_x in expected]
    assert {decode_id(i.id).kind for i in standups} == {"occurrence"}
    singles = [i for i in items if i.subject != "Support stand-up"]
    assert singles and {i.type for i in singles} == {"Single"}
    starts = [i.start if isinstance(i.start, dt.datetime) else dt.datetime.combine(i.start, dt.time(), UTC)
              for i in items]  # all-day events come back as dates
    assert starts == sorted(starts)
    assert len({i.id for i in items}) == len(items)


def test_occurrence_and_master_ids(emulator):
    row, _ = standup_master(emulator)
    start, end = window(row)
    expected = expected_standups(row, start, end)
    index, occ_start, _e, _m = expected[1]
    occ_id = encode_id("occurrence", row.mailbox_id, row.id, index)
    acc = account(emulator, "alice", "support@example.com")
    occ = list(acc.fetch([(occ_id, None)]))[0]
    assert (occ.type, int(occ.start.timestamp()), occ.subject) == ("Occurrence", occ_start, "Support stand-up")
    assert occ.recurrence is None and int(occ.original_start.timestamp()) == occ_start
    master = soap(emulator, "alice", get_xml(f'<t:RecurringMasterItemId OccurrenceId="{occ_id}"/>',
                                             base="AllProperties")).find(".//t:CalendarItem", NS)
    assert master.findtext("t:CalendarItemType", namespaces=NS) == "RecurringMaster"
    assert master.find("t:Recurrence/t:WeeklyRecurrence", NS) is not None
    assert master.find("t:ItemId", NS).get("Id") == encode_id("item", row.mailbox_id, row.id)
    first = master.find("t:FirstOccurrence", NS)
    by_index = soap(emulator, "alice", get_xml(
        f'<t:OccurrenceItemId RecurringMasterId="{encode_id("item", row.mailbox_id, row.id)}" InstanceIndex="1"/>',
        base="AllProperties")).find(".//t:CalendarItem", NS)
    assert by_index.findtext("t:Start", namespaces=NS) == first.findtext("t:Start", namespaces=NS)
    assert by_index.find("t:ItemId", NS).get("Id") == first.find("t:ItemId", NS).get("Id")
    whole = expected_standups(row, 0, 2**31)
    deleted_index = next(i for i in range(1, whole[-1][0]) if i not in {w[0] for w in whole})
    errors = soap(emulator, "alice", get_xml(
        f'<t:ItemId Id="{encode_id("occurrence", row.mailbox_id, row.id, deleted_index)}"/>'
        f'<t:ItemId Id="{encode_id("occurrence", row.mailbox_id, row.id, whole[-1][0] + 1)}"/>'))
    assert codes(errors) == ["ErrorCalendarOccurrenceIsDeletedFromRecurrence",
                             "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange"]


def test_free_busy_readers_see_times_only(emulator):
    row, _ = standup_master(emulator)
    start, end = window(row)
    props = ('<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/>'
             '<t:FieldURI FieldURI="calendar:End"/><t:FieldURI FieldURI="calendar:Location"/>'
             '<t:FieldURI FieldURI="calendar:LegacyFreeBusyStatus"/>')
    # Every calendar's Default permission is FreeBusyTimeOnly in the demo tenant; dave has nothing else.
    body = soap(emulator, "dave", view_xml("support@example.com", start, end, props))
    assert codes(body) == ["NoError"]
    items = body.findall(".//t:Items/t:CalendarItem", NS)
    full = soap(emulator, "alice", view_xml("support@example.com", start, end, props)).findall(
        ".//t:Items/t:CalendarItem", NS)
    assert len(items) == len(full) > 0
    for fb, item in zip(items, full, strict=True):
        assert fb.findtext("t:Start", namespaces=NS) == item.findtext("t:Start", namespaces=NS)
        assert fb.findtext("t:LegacyFreeBusyStatus", namespaces=NS)
        assert fb.find("t:Subject", NS) is None and fb.find("t:Location", NS) is None
    assert full[0].find("t:Subject", NS) is not None
    some_id = items[0].find("t:ItemId", NS).get("Id")
    assert codes(soap(emulator, "dave", get_xml(f'<t:ItemId Id="{some_id}"/>'))) == ["ErrorAccessDenied"]
    plain = ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
             f'<m:ParentFolderIds>{folder_xml("support@example.com", "calendar")}</m:ParentFolderIds></m:FindItem>')
    assert codes(soap(emulator, "dave", plain)) == ["ErrorAccessDenied"]


def test_subject_and_location_level(fresh_emulator):
    row, folder = standup_master(fresh_emulator)
    store = store_of(fresh_emulator)
    dave = store.directory.by_smtp("dave@example.com")
    entries = store.folders.permissions(folder.id)
    entries[dave.id] = ROLES["FreeBusyTimeAndSubjectAndLocation"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, folder.id, entries)
    start, end = window(row)
    props = ('<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Location"/>'
             '<t:FieldURI FieldURI="calendar:Start"/>')
    body = soap(fresh_emulator, "dave", view_xml("support@example.com", start, end, props))
    standups = [i for i in body.iterfind(".//t:Items/t:CalendarItem", NS)
                if i.findtext("t:Subject", namespaces=NS) == "Support stand-up"]
    assert len(standups) == len(expected_standups(row, start, end))
    assert all(i.findtext("t:Location", namespaces=NS) for i in standups)


def test_deleted_and_moved_occurrences_follow_the_master(fresh_emulator):
    row, _ = standup_master(fresh_emulator)
    start, end = window(row)
    before = expected_standups(row, start, end)
    store = store_of(fresh_emulator)
    el = row.element_tree()
    victim, mover = before[0], before[2]
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    deleted = el.find("t:DeletedOccurrences", NS)
    etree.SubElement(etree.SubElement(deleted, f"{{{NS['t']}}}DeletedOccurrence"), f"{{{NS['t']}}}Start").text = \
        dt.datetime.fromtimestamp(victim[1], UTC).strftime(fmt)
    modified = el.find("t:ModifiedOccurrences", NS)
    occ = etree.SubElement(modified, f"{{{NS['t']}}}Occurrence")
    etree.SubElement(occ, f"{{{NS['t']}}}ItemId", Id=encode_id("occurrence", row.mailbox_id, row.id, mover[0]))
    for name, value in (("Start", mover[1] + 7200), ("End", mover[2] + 7200), ("OriginalStart", mover[1])):
        etree.SubElement(occ, f"{{{NS['t']}}}{name}").text = dt.datetime.fromtimestamp(value, UTC).strftime(fmt)
    with store.db.tx() as con:
        row = store.items.update(con, row, el, "Test")
    after = expected_standups(row, start, end)
    assert len(after) == len(before) - 1
    props = '<t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:CalendarItemType"/>'
    body = soap(fresh_emulator, "alice", view_xml("support@example.com", start, end, props))
    got = [(ts(i.findtext("t:Start", namespaces=NS)), i.findtext("t:CalendarItemType", namespaces=NS))
           for i in body.iterfind(".//t:Items/t:CalendarItem", NS)
           if decode_id(i.find("t:ItemId", NS).get("Id")).row_id == row.id]
    assert sorted(got) == sorted((s, "Exception" if moved else "Occurrence") for _i, s, _e, moved in after)
    assert (mover[1] + 7200, "Exception") in got and all(s != victim[1] for s, _t in got)


def test_calendar_view_limits_and_errors(emulator):
    row, _ = standup_master(emulator)
    start, end = window(row)
    limited = soap(emulator, "alice", view_xml("support@example.com", start, end, max_entries=3))
    root = limited.find(".//m:RootFolder", NS)
    assert len(root.findall("t:Items/*", NS)) == 3
    assert root.get("IncludesLastItemInRange") == "false" and int(root.get("TotalItemsInView")) > 3
    assert codes(soap(emulator, "alice", view_xml("support@example.com", end, start))) == \
        ["ErrorCalendarEndDateIsEarlierThanStartDate"]
    assert codes(soap(emulator, "alice", view_xml("support@example.com", start, start + 3 * 366 * 86400))) == \
        ["ErrorCalendarViewRangeTooBig"]
    assert codes(soap(emulator, "alice", view_xml("support@example.com", start, end, folder="inbox"))) == \
        ["ErrorCalendarFolderIsInvalidForCalendarView"]
    restriction = ('<m:Restriction><t:Exists><t:FieldURI FieldURI="item:Subject"/></t:Exists></m:Restriction>')
    assert codes(soap(emulator, "alice", view_xml("support@example.com", start, end, extra=restriction))) == \
        ["ErrorInvalidRestriction"]


@pytest.mark.parametrize("user", ["alice", "carol"])
def test_attendee_copies_expand_the_same(emulator, user):
    support_row, _ = standup_master(emulator)
    row, _ = standup_master(emulator, f"{user}@example.com")
    start, end = window(row)
    ours = expected_standups(row, start, end)
    acc = account(emulator, user)
    tz = acc.default_timezone
    items = [i for i in acc.calendar.view(EWSDateTime.fromtimestamp(start, tz), EWSDateTime.fromtimestamp(end, tz))
             .only("subject", "start") if i.subject == "Support stand-up"]
    assert [int(i.start.timestamp()) for i in items] == [s for _i, s, _e, _m in ours]
    assert ours and expected_standups(support_row, start, end)
