"""Directory and availability over real HTTP with exchangelib: ResolveNames, ExpandDL, rooms, time zones, free/busy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.support.emulator import account


def _errors(results) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception)]


# ResolveNames ----------------------------------------------------------------------------------
def test_resolve_unique_prefix_in_the_directory(emulator) -> None:
    protocol = account(emulator, "alice").protocol
    for scope in ("ActiveDirectory", None):
        found = list(protocol.resolve_names(["ali"], search_scope=scope))
        assert [(m.name, m.email_address, m.mailbox_type) for m in found] == \
            [("Alice Archer", "alice@example.com", "Mailbox")]


def test_resolve_with_full_contact_data_from_the_gal(emulator) -> None:
    protocol = account(emulator, "dave").protocol
    found = list(protocol.resolve_names(["Support"], return_full_contact_data=True, search_scope="ActiveDirectory"))
    assert len(found) == 1
    mailbox, contact = found[0]
    assert (mailbox.name, mailbox.email_address, mailbox.mailbox_type) == \
        ("Customer Support", "support@example.com", "Mailbox")
    assert contact.display_name == "Customer Support"
    assert contact.contact_source == "ActiveDirectory"
    assert contact.department == "Customer Support"
    assert [e.email for e in contact.email_addresses] == ["SMTP:support@example.com"]
    alice = list(protocol.resolve_names(["alice@example.com"], return_full_contact_data=True))[0][1]
    assert (alice.given_name, alice.surname, alice.company_name) == ("Alice", "Archer", "Example Ltd")


def test_ambiguous_name_returns_every_candidate(emulator) -> None:
    found = list(account(emulator, "dave").protocol.resolve_names(["a"], search_scope="ActiveDirectory"))
    assert not _errors(found)  # the Warning (ErrorNameResolutionMultipleResults) is not an error
    names = {m.email_address for m in found}
    assert {"alice@example.com", "team@example.com"} <= names  # "Alice Archer", "All Staff"
    assert {m.mailbox_type for m in found if m.email_address == "team@example.com"} == {"PublicDL"}


def test_no_match_is_name_resolution_no_results(emulator) -> None:
    from exchangelib.errors import ErrorNameResolutionNoResults

    found = list(account(emulator, "alice").protocol.resolve_names(["zzzz-nobody"]))
    assert len(found) == 1 and isinstance(found[0], ErrorNameResolutionNoResults)


def test_contacts_resolve_only_from_folders_the_caller_can_read(emulator) -> None:
    from exchangelib.errors import ErrorAccessDenied, ErrorNameResolutionNoResults

    carol = account(emulator, "carol").protocol
    found = list(carol.resolve_names(["Megan"], search_scope="Contacts", return_full_contact_data=True))
    assert len(found) == 1
    mailbox, contact = found[0]
    assert (mailbox.mailbox_type, mailbox.email_address) == ("Contact", "megan.price@proseware.com")
    assert mailbox.item_id is not None and contact.contact_source == "Store"
    # hr@ and carol keep a Megan Price contact; dave reads neither folder, so nothing resolves for him.
    dave = account(emulator, "dave").protocol
    assert isinstance(list(dave.resolve_names(["Megan"]))[0], ErrorNameResolutionNoResults)
    # Naming support@'s Contacts folder: alice (Full Access) finds the contact group there; bob cannot read it.
    support_contacts = account(emulator, "alice", "support").contacts
    group = list(account(emulator, "alice").protocol.resolve_names(["Key accounts"], search_scope="Contacts",
                                                                   parent_folders=[support_contacts]))
    assert [(m.name, m.mailbox_type) for m in group] == [("Key accounts", "PrivateDL")]
    with pytest.raises(ErrorAccessDenied):
        list(account(emulator, "bob").protocol.resolve_names(["Key"], search_scope="Contacts",
                                                             parent_folders=[support_contacts]))


# ExpandDL and rooms ------------------------------------------------------------------------------
def test_expand_dl(emulator) -> None:
    from exchangelib.errors import ErrorNameResolutionNoResults

    protocol = account(emulator, "dave").protocol
    members = list(protocol.expand_dl("team@example.com"))
    assert [(m.name, m.email_address, m.mailbox_type) for m in members] == [
        ("Alice Archer", "alice@example.com", "Mailbox"), ("Bob Baker", "bob@example.com", "Mailbox"),
        ("Carol Chen", "carol@example.com", "Mailbox"), ("Dave Diaz", "dave@example.com", "Mailbox")]
    for address in ("nobody@example.com", "alice@example.com"):
        with pytest.raises(ErrorNameResolutionNoResults):
            list(protocol.expand_dl(address))


def test_room_lists_and_rooms(emulator) -> None:
    from exchangelib.errors import ErrorNameResolutionNoResults

    protocol = account(emulator, "bob").protocol
    assert [(r.name, r.email_address) for r in protocol.get_roomlists()] == [("Head Office", "rooms-hq@example.com")]
    rooms = list(protocol.get_rooms("rooms-hq@example.com"))
    assert [(r.name, r.email_address) for r in rooms] == [("Room 101", "room-101@example.com"),
                                                          ("Room 202", "room-202@example.com")]
    for address in ("team@example.com", "nowhere@example.com"):
        with pytest.raises(ErrorNameResolutionNoResults):
            list(protocol.get_rooms(address))


# Time zones ----------------------------------------------------------------------------------------
def test_server_time_zones_include_the_hosts_and_common_ones(emulator) -> None:
    from exchangelib import EWSTimeZone

    protocol = account(emulator, "alice").protocol
    ids = {tz.id for tz in protocol.get_timezones()}
    for name in ("UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
                 "Australia/Sydney"):
        assert EWSTimeZone(name).ms_id in ids
    assert EWSTimeZone.localzone().ms_id in ids
    wanted = [EWSTimeZone("Europe/Berlin"), EWSTimeZone("UTC")]
    full = {tz.id: tz for tz in protocol.get_timezones(timezones=wanted, return_full_timezone_data=True)}
    assert set(full) == {"W. Europe Standard Time", "UTC"}
    std, dst, period = full["W. Europe Standard Time"].get_std_and_dst(for_year=2026)
    assert period.bias_in_minutes == -60 and dst.bias == -60
    assert (dst.iso_month, dst.occurrence, dst.time.hour) == (3, 5, 2)  # last Sunday of March, 02:00
    assert (std.iso_month, std.occurrence, std.time.hour) == (10, 5, 3)  # last Sunday of October, 03:00
    _, _, utc = full["UTC"].get_std_and_dst(for_year=2026)
    assert utc.bias_in_minutes == 0


@pytest.mark.parametrize(("ms_id", "iana"), [
    ("W. Europe Standard Time", "Europe/Berlin"), ("GMT Standard Time", "Europe/London"),
    ("Eastern Standard Time", "America/New_York"), ("Pacific Standard Time", "America/Los_Angeles"),
    ("AUS Eastern Standard Time", "Australia/Sydney"), ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Tokyo Standard Time", "Asia/Tokyo"), ("India Standard Time", "Asia/Kolkata"), ("UTC", "UTC"),
])
def test_zone_rules_agree_with_the_tz_database(ms_id, iana) -> None:
    """Every hour of two years: the table's UTC offset equals the IANA zone's (DST switches included)."""
    from ews_emulator.ops.timezones import ZONES

    zone, ref = ZONES[ms_id], ZoneInfo(iana)
    moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    while moment.year < 2027:
        assert zone.utc_offset(moment) == ref.utcoffset(moment.astimezone(ref)).total_seconds() // 60, moment
        moment += dt.timedelta(minutes=30)


# Free/busy -----------------------------------------------------------------------------------------
def _window(days_before: int = 7, days: int = 21, tz: str = "UTC"):
    from exchangelib import EWSDateTime, EWSTimeZone

    zone = EWSTimeZone(tz)
    start = EWSDateTime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days_before)
    return start, start + dt.timedelta(days=days)


def test_free_busy_follows_calendar_rights(emulator) -> None:
    from exchangelib.errors import ErrorMailRecipientNotFound

    alice = account(emulator, "alice")
    start, end = _window()
    views = list(alice.protocol.get_free_busy_info(
        [("support@example.com", "Required", False), ("room-101@example.com", "Room", False),
         ("bob@example.com", "Required", False), ("nobody@example.com", "Required", False)], start, end))
    support, room, bob, nobody = views
    # Full Access on support@: details, recurring stand-ups expanded, the moved occurrence included.
    assert support.view_type == "DetailedMerged"
    standups = [e for e in support.calendar_events if e.details.subject == "Support stand-up"]
    assert len(standups) >= 5 and all(e.details.is_recurring for e in standups)
    assert all(e.details.location == "Room 101" for e in standups)
    # The events are exactly the calendar view's busy items (the "Free" item is not published).
    calendar = account(emulator, "alice", "support").calendar.view(start, end)
    expected = sorted((i.start, i.end, i.legacy_free_busy_status) for i in calendar
                      if i.legacy_free_busy_status != "Free")
    assert sorted((e.start, e.end, e.busy_type) for e in support.calendar_events) == expected
    # Merged string: one digit per 30 minutes, busy (2) exactly where a stand-up is.
    assert len(support.merged) == 21 * 48
    first = standups[0]
    slot = int((first.start - start).total_seconds() // 1800)
    assert support.merged[slot] == "2"
    # Default calendar permission (FreeBusyTimeOnly): times only, and the view is downgraded.
    for view in (room, bob):
        assert view.view_type == "FreeBusyMerged"
        assert view.calendar_events and all(e.details is None for e in view.calendar_events)
    assert isinstance(nobody, ErrorMailRecipientNotFound)


def test_free_busy_times_are_in_the_requested_time_zone(emulator) -> None:
    protocol = account(emulator, "dave").protocol
    start, end = _window(tz="UTC")
    b_start, b_end = _window(tz="Europe/Berlin")
    utc = list(protocol.get_free_busy_info([("room-101@example.com", "Room", False)], start, end))[0]
    berlin = list(protocol.get_free_busy_info([("room-101@example.com", "Room", False)], b_start, b_end))[0]
    common = {(e.start, e.end) for e in utc.calendar_events} & {(e.start, e.end) for e in berlin.calendar_events}
    assert len(common) >= 3  # same instants whichever zone the request used
    assert all(str(e.start.tzinfo) == "Europe/Berlin" for e in berlin.calendar_events)


def test_free_busy_reviewer_sees_details_but_not_private_ones(fresh_emulator) -> None:
    from ews_emulator.rights import from_role

    store = fresh_emulator.backend.store
    alice, bob = store.directory.by_smtp("alice@example.com"), store.directory.by_smtp("bob@example.com")
    calendar = store.folders.by_well_known(alice.id, "calendar")
    with store.db.tx() as con:
        entries = store.folders.permissions(calendar.id)
        entries[bob.id] = from_role("Reviewer")
        store.folders.set_permissions(con, calendar.id, entries)
    start, end = _window(days_before=1, days=20)
    view = list(account(fresh_emulator, "bob").protocol.get_free_busy_info(
        [("alice@example.com", "Required", False)], start, end))[0]
    assert view.view_type == "DetailedMerged"
    private = [e for e in view.calendar_events if e.details.is_private]
    assert len(private) == 1 and private[0].busy_type == "OOF"
    assert private[0].details.subject is None  # "Dentist" stays hidden from a Reviewer
    assert any(e.details.subject == "Focus time" for e in view.calendar_events)
    own = list(account(fresh_emulator, "alice").protocol.get_free_busy_info(
        [("alice@example.com", "Required", False)], start, end))[0]
    assert [e.details.subject for e in own.calendar_events if e.details.is_private] == ["Dentist"]
