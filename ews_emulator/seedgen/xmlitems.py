"""Builders for the item elements a client would send to CreateItem (``t:Message``, ``t:CalendarItem``, ...).

Every builder returns an element whose children are in schema order (``ews_emulator.xml.schema_order``),
without the properties the server computes (ids, sizes, receive and creation times).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from lxml import etree

from ews_emulator.soap import T_NS
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"
NSMAP = {"t": T_NS}
PR_FLAG_STATUS = "0x1090"
FLAGGED = 2

Address = tuple[str, str]  # (display name, SMTP address)


def ts_text(ts: float) -> str:
    """Unix seconds -> ``xs:dateTime`` in UTC (``2026-01-31T09:15:00Z``)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def element(tag: str) -> etree._Element:
    return etree.Element(_T + tag, nsmap=NSMAP)


def sub(parent: etree._Element, tag: str, text: object = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _T + tag, attrs or None)
    if text is not None:
        el.text = (
            text
            if isinstance(text, str)
            else ("true" if text is True else "false" if text is False else str(text))
        )
    return el


def mailbox_el(parent: etree._Element, tag: str, addr: Address) -> etree._Element:
    """``<t:{tag}><t:Mailbox><t:Name/><t:EmailAddress/><t:RoutingType>SMTP</...></...>``."""
    holder = sub(parent, tag)
    mb = sub(holder, "Mailbox")
    sub(mb, "Name", addr[0])
    sub(mb, "EmailAddress", addr[1])
    sub(mb, "RoutingType", "SMTP")
    return holder


def recipients_el(parent: etree._Element, tag: str, addrs: Iterable[Address]) -> None:
    addrs = list(addrs)
    if not addrs:
        return
    holder = sub(parent, tag)
    for name, smtp in addrs:
        mb = sub(holder, "Mailbox")
        sub(mb, "Name", name)
        sub(mb, "EmailAddress", smtp)
        sub(mb, "RoutingType", "SMTP")


def body_el(parent: etree._Element, text: str, html: bool) -> None:
    sub(parent, "Body", text, BodyType="HTML" if html else "Text")


def categories_el(parent: etree._Element, categories: Sequence[str]) -> None:
    if categories:
        holder = sub(parent, "Categories")
        for c in categories:
            sub(holder, "String", c)


def flag_property(parent: etree._Element, status: int = FLAGGED) -> None:
    """PR_FLAG_STATUS (0x1090) as a ``t:ExtendedProperty``: 2 = flagged, 1 = complete."""
    prop = sub(parent, "ExtendedProperty")
    sub(prop, "ExtendedFieldURI", PropertyTag=PR_FLAG_STATUS, PropertyType="Integer")
    sub(prop, "Value", str(status))


def message(
    *,
    subject: str,
    body: str,
    html: bool,
    sender: Address | None,
    to: Sequence[Address],
    sent: float | None,
    is_read: bool,
    message_id: str | None,
    cc: Sequence[Address] = (),
    from_: Address | None = None,
    categories: Sequence[str] = (),
    importance: str = "Normal",
    flagged: bool = False,
    item_class: str = "IPM.Note",
    in_reply_to: str | None = None,
    is_draft: bool = False,
) -> etree._Element:
    """A delivered or sent ``t:Message``, or a draft (``is_draft``: no sender, send time or Message-ID)."""
    el = element("Message")
    sub(el, "ItemClass", item_class)
    sub(el, "Subject", subject)
    body_el(el, body, html)
    categories_el(el, categories)
    sub(el, "Importance", importance)
    if in_reply_to:
        sub(el, "InReplyTo", in_reply_to)
    if is_draft:
        sub(el, "IsDraft", True)
    if sent is not None:
        sub(el, "DateTimeSent", ts_text(sent))
    if flagged:
        flag_property(el)
    if sender is not None:
        mailbox_el(el, "Sender", sender)
    recipients_el(el, "ToRecipients", to)
    recipients_el(el, "CcRecipients", cc)
    if from_ or sender:
        mailbox_el(el, "From", from_ or sender)  # type: ignore[arg-type]
    if message_id:
        sub(el, "InternetMessageId", message_id)
    sub(el, "IsRead", is_read)
    return order_children(el, "t:MessageType")


def attendees_el(parent: etree._Element, tag: str, people: Sequence[tuple[Address, str | None]]) -> None:
    """``t:RequiredAttendees`` / ``t:OptionalAttendees`` / ``t:Resources`` with optional ResponseType."""
    if not people:
        return
    holder = sub(parent, tag)
    for addr, response in people:
        att = sub(holder, "Attendee")
        mb = sub(att, "Mailbox")
        sub(mb, "Name", addr[0])
        sub(mb, "EmailAddress", addr[1])
        sub(mb, "RoutingType", "SMTP")
        if response:
            sub(att, "ResponseType", response)


def calendar_item(
    *,
    subject: str,
    body: str,
    start: float,
    end: float,
    uid: str,
    organizer: Address,
    all_day: bool = False,
    free_busy: str = "Busy",
    location: str | None = None,
    required: Sequence[tuple[Address, str | None]] = (),
    optional: Sequence[tuple[Address, str | None]] = (),
    resources: Sequence[tuple[Address, str | None]] = (),
    item_type: str = "Single",
    my_response: str | None = None,
    weekly: dict | None = None,
    deleted: Sequence[float] = (),
    categories: Sequence[str] = (),
    private: bool = False,
    reminder_minutes: int = 15,
) -> etree._Element:
    """A ``t:CalendarItem``; ``weekly`` = {"days": [...], "interval": n, "start": date, "end": date}."""
    el = element("CalendarItem")
    sub(el, "ItemClass", "IPM.Appointment")
    sub(el, "Subject", subject)
    if private:
        sub(el, "Sensitivity", "Private")
    if body:
        body_el(el, body, html=False)
    categories_el(el, categories)
    sub(el, "ReminderIsSet", not all_day)
    sub(el, "ReminderMinutesBeforeStart", str(reminder_minutes))
    sub(el, "UID", uid)
    sub(el, "Start", ts_text(start))
    sub(el, "End", ts_text(end))
    sub(el, "IsAllDayEvent", all_day)
    sub(el, "LegacyFreeBusyStatus", free_busy)
    if location:
        sub(el, "Location", location)
    is_meeting = bool(required or optional or resources)
    sub(el, "IsMeeting", is_meeting)
    sub(el, "CalendarItemType", item_type)
    if my_response:
        sub(el, "MyResponseType", my_response)
    mailbox_el(el, "Organizer", organizer)
    attendees_el(el, "RequiredAttendees", required)
    attendees_el(el, "OptionalAttendees", optional)
    attendees_el(el, "Resources", resources)
    if weekly:
        rec = sub(el, "Recurrence")
        pattern = sub(rec, "WeeklyRecurrence")
        sub(pattern, "Interval", str(weekly.get("interval", 1)))
        sub(pattern, "DaysOfWeek", " ".join(weekly["days"]))
        rng = sub(rec, "EndDateRecurrence")
        sub(rng, "StartDate", weekly["start"].isoformat())
        sub(rng, "EndDate", weekly["end"].isoformat())
    if deleted:
        holder = sub(el, "DeletedOccurrences")
        for ts in deleted:
            sub(sub(holder, "DeletedOccurrence"), "Start", ts_text(ts))
    sub(el, "StartTimeZone", Id="UTC", Name="(UTC) Coordinated Universal Time")
    sub(el, "EndTimeZone", Id="UTC", Name="(UTC) Coordinated Universal Time")
    return order_children(el, "t:CalendarItemType")


def contact(
    *,
    given: str,
    surname: str,
    email: str,
    company: str = "",
    title: str = "",
    phone: str = "",
    mobile: str = "",
    city: str = "",
    notes: str = "",
    categories: Sequence[str] = (),
) -> etree._Element:
    """A ``t:Contact`` as Outlook files it ("Surname, Given")."""
    el = element("Contact")
    sub(el, "ItemClass", "IPM.Contact")
    sub(el, "Subject", f"{given} {surname}")
    if notes:
        body_el(el, notes, html=False)
    categories_el(el, categories)
    sub(el, "FileAs", f"{surname}, {given}")
    sub(el, "DisplayName", f"{given} {surname}")
    sub(el, "GivenName", given)
    if company:
        sub(el, "CompanyName", company)
    emails = sub(el, "EmailAddresses")
    sub(emails, "Entry", email, Key="EmailAddress1")
    if city:
        addr = sub(sub(el, "PhysicalAddresses"), "Entry", Key="Business")
        sub(addr, "City", city)
        sub(addr, "CountryOrRegion", "United Kingdom")
    if phone or mobile:
        phones = sub(el, "PhoneNumbers")
        if phone:
            sub(phones, "Entry", phone, Key="BusinessPhone")
        if mobile:
            sub(phones, "Entry", mobile, Key="MobilePhone")
    if title:
        sub(el, "JobTitle", title)
    sub(el, "Surname", surname)
    return order_children(el, "t:ContactItemType")


def distribution_list(name: str, members: Iterable[Address]) -> etree._Element:
    """A personal contact group (``t:DistributionList``) of one-off members."""
    el = element("DistributionList")
    sub(el, "ItemClass", "IPM.DistList")
    sub(el, "Subject", name)
    sub(el, "DisplayName", name)
    sub(el, "FileAs", name)
    holder = sub(el, "Members")
    for addr in members:
        mb = sub(sub(holder, "Member"), "Mailbox")
        sub(mb, "Name", addr[0])
        sub(mb, "EmailAddress", addr[1])
        sub(mb, "RoutingType", "SMTP")
        sub(mb, "MailboxType", "OneOff")
    return order_children(el, "t:DistributionListType")
