"""GetServerTimeZones, and the time zone rules the availability and recurrence code share.

The table holds a sensible set of Windows time zone ids (the ids EWS uses) with their current rules:
the standard UTC offset and, where the zone observes daylight saving time, the yearly switch dates
(month, n-th or last weekday, local time of the switch). Every id exchangelib derives from a common
IANA zone resolves, including ``UTC`` (what it sends for a host in UTC).

``t:TimeZoneDefinition`` is written as Exchange writes it: ``Periods`` (``Bias`` is minus the UTC offset,
as an ``xs:duration``), one ``TransitionsGroup`` with the yearly ``RecurringDayTransition`` pair (or one
plain ``Transition`` for zones without DST), and ``Transitions`` pointing at that group.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.soap import M_NS, T_NS, m, t, xs_bool

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True)
class Switch:
    """A yearly switch: ``month``, ``week`` (1-4, or -1 = last), ``weekday`` (0 = Sunday), local ``minute`` of day."""

    month: int
    week: int
    weekday: int
    minute: int

    def local_date(self, year: int) -> datetime:
        """The local (naive) date and time of the switch in ``year``."""
        first_wd = (calendar.weekday(year, self.month, 1) + 1) % 7  # 0 = Sunday
        first = 1 + (self.weekday - first_wd) % 7
        days = calendar.monthrange(year, self.month)[1]
        day = first + 7 * (self.week - 1) if self.week > 0 else first + 7 * ((days - first) // 7)
        return datetime(year, self.month, day) + timedelta(minutes=self.minute)


@dataclass(frozen=True)
class Zone:
    """A time zone rule: standard offset from UTC in minutes and optional DST (extra minutes, start, end)."""

    id: str
    name: str
    offset: int
    dst_delta: int = 0
    dst_start: Switch | None = None
    dst_end: Switch | None = None

    @property
    def has_dst(self) -> bool:
        return self.dst_start is not None and self.dst_end is not None and self.dst_delta != 0

    def utc_offset(self, when: datetime) -> int:
        """The UTC offset in minutes at the UTC instant ``when`` (naive values are taken as UTC)."""
        if not self.has_dst:
            return self.offset
        when = when.replace(tzinfo=None) if when.tzinfo is None else when.astimezone(UTC).replace(tzinfo=None)
        year = when.year
        assert self.dst_start is not None and self.dst_end is not None
        start = self.dst_start.local_date(year) - timedelta(minutes=self.offset)
        end = self.dst_end.local_date(year) - timedelta(minutes=self.offset + self.dst_delta)
        in_dst = start <= when < end if start < end else not end <= when < start
        return self.offset + (self.dst_delta if in_dst else 0)

    def to_local(self, ts: float) -> datetime:
        """Unix seconds -> naive local wall-clock time."""
        utc = datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
        return utc + timedelta(minutes=self.utc_offset(utc))

    def to_utc_ts(self, local: datetime) -> float:
        """Naive local wall-clock time -> unix seconds (the standard offset decides inside a skipped hour)."""
        guess = local - timedelta(minutes=self.offset)
        offset = self.utc_offset(guess)
        return (local - timedelta(minutes=offset)).replace(tzinfo=UTC).timestamp()


def _sw(month: int, week: int, weekday: str, hhmm: str) -> Switch:
    h, mi = hhmm.split(":")
    return Switch(month, week, DAYS.index(weekday), int(h) * 60 + int(mi))


# Current rules (2024+). US/Canada: 2nd Sunday March 02:00 -> 1st Sunday November 02:00. EU: last Sunday March
# 01:00 UTC -> last Sunday October 01:00 UTC (expressed in local time, as Windows does).
_US = (60, _sw(3, 2, "Sunday", "02:00"), _sw(11, 1, "Sunday", "02:00"))


def _eu(local_start: str, local_end: str) -> tuple[int, Switch, Switch]:
    return 60, _sw(3, -1, "Sunday", local_start), _sw(10, -1, "Sunday", local_end)


_ZONES = [
    Zone("Dateline Standard Time", "(UTC-12:00) International Date Line West", -720),
    Zone("UTC-11", "(UTC-11:00) Coordinated Universal Time-11", -660),
    Zone("Hawaiian Standard Time", "(UTC-10:00) Hawaii", -600),
    Zone("Alaskan Standard Time", "(UTC-09:00) Alaska", -540, *_US),
    Zone("Pacific Standard Time", "(UTC-08:00) Pacific Time (US & Canada)", -480, *_US),
    Zone("US Mountain Standard Time", "(UTC-07:00) Arizona", -420),
    Zone("Mountain Standard Time", "(UTC-07:00) Mountain Time (US & Canada)", -420, *_US),
    Zone("Central Standard Time", "(UTC-06:00) Central Time (US & Canada)", -360, *_US),
    Zone("Central Standard Time (Mexico)", "(UTC-06:00) Guadalajara, Mexico City, Monterrey", -360),
    Zone("Canada Central Standard Time", "(UTC-06:00) Saskatchewan", -360),
    Zone("Eastern Standard Time", "(UTC-05:00) Eastern Time (US & Canada)", -300, *_US),
    Zone("SA Pacific Standard Time", "(UTC-05:00) Bogota, Lima, Quito, Rio Branco", -300),
    Zone("Atlantic Standard Time", "(UTC-04:00) Atlantic Time (Canada)", -240, *_US),
    Zone("SA Western Standard Time", "(UTC-04:00) Georgetown, La Paz, Manaus, San Juan", -240),
    Zone("Newfoundland Standard Time", "(UTC-03:30) Newfoundland", -210, *_US),
    Zone("E. South America Standard Time", "(UTC-03:00) Brasilia", -180),
    Zone("Argentina Standard Time", "(UTC-03:00) City of Buenos Aires", -180),
    Zone("UTC-02", "(UTC-02:00) Coordinated Universal Time-02", -120),
    Zone("Azores Standard Time", "(UTC-01:00) Azores", -60, *_eu("00:00", "01:00")),
    Zone("UTC", "(UTC) Coordinated Universal Time", 0),
    Zone("GMT Standard Time", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", 0, *_eu("01:00", "02:00")),
    Zone("Greenwich Standard Time", "(UTC+00:00) Monrovia, Reykjavik", 0),
    Zone("W. Europe Standard Time", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", 60,
         *_eu("02:00", "03:00")),
    Zone("Central Europe Standard Time", "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague", 60,
         *_eu("02:00", "03:00")),
    Zone("Romance Standard Time", "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", 60, *_eu("02:00", "03:00")),
    Zone("Central European Standard Time", "(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb", 60,
         *_eu("02:00", "03:00")),
    Zone("W. Central Africa Standard Time", "(UTC+01:00) West Central Africa", 60),
    Zone("GTB Standard Time", "(UTC+02:00) Athens, Bucharest", 120, *_eu("03:00", "04:00")),
    Zone("FLE Standard Time", "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", 120,
         *_eu("03:00", "04:00")),
    Zone("South Africa Standard Time", "(UTC+02:00) Harare, Pretoria", 120),
    Zone("Turkey Standard Time", "(UTC+03:00) Istanbul", 180),
    Zone("Russian Standard Time", "(UTC+03:00) Moscow, St. Petersburg", 180),
    Zone("Arab Standard Time", "(UTC+03:00) Kuwait, Riyadh", 180),
    Zone("E. Africa Standard Time", "(UTC+03:00) Nairobi", 180),
    Zone("Arabian Standard Time", "(UTC+04:00) Abu Dhabi, Muscat", 240),
    Zone("Pakistan Standard Time", "(UTC+05:00) Islamabad, Karachi", 300),
    Zone("India Standard Time", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", 330),
    Zone("Nepal Standard Time", "(UTC+05:45) Kathmandu", 345),
    Zone("Bangladesh Standard Time", "(UTC+06:00) Dhaka", 360),
    Zone("SE Asia Standard Time", "(UTC+07:00) Bangkok, Hanoi, Jakarta", 420),
    Zone("China Standard Time", "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", 480),
    Zone("Singapore Standard Time", "(UTC+08:00) Kuala Lumpur, Singapore", 480),
    Zone("W. Australia Standard Time", "(UTC+08:00) Perth", 480),
    Zone("Taipei Standard Time", "(UTC+08:00) Taipei", 480),
    Zone("Tokyo Standard Time", "(UTC+09:00) Osaka, Sapporo, Tokyo", 540),
    Zone("Korea Standard Time", "(UTC+09:00) Seoul", 540),
    Zone("Cen. Australia Standard Time", "(UTC+09:30) Adelaide", 570, 60, _sw(10, 1, "Sunday", "02:00"),
         _sw(4, 1, "Sunday", "03:00")),
    Zone("AUS Central Standard Time", "(UTC+09:30) Darwin", 570),
    Zone("E. Australia Standard Time", "(UTC+10:00) Brisbane", 600),
    Zone("AUS Eastern Standard Time", "(UTC+10:00) Canberra, Melbourne, Sydney", 600, 60,
         _sw(10, 1, "Sunday", "02:00"), _sw(4, 1, "Sunday", "03:00")),
    Zone("West Pacific Standard Time", "(UTC+10:00) Guam, Port Moresby", 600),
    Zone("New Zealand Standard Time", "(UTC+12:00) Auckland, Wellington", 720, 60, _sw(9, -1, "Sunday", "02:00"),
         _sw(4, 1, "Sunday", "03:00")),
    Zone("UTC+12", "(UTC+12:00) Coordinated Universal Time+12", 720),
    Zone("Tonga Standard Time", "(UTC+13:00) Nuku'alofa", 780),
]
ZONES: dict[str, Zone] = {z.id: z for z in _ZONES}
UTC_ZONE = ZONES["UTC"]


def zone(zone_id: str | None) -> Zone | None:
    """The rule of a Windows time zone id, or None if the table does not have it."""
    return ZONES.get(zone_id or "")


def duration(minutes: int) -> str:
    """Minutes -> ``xs:duration`` as Exchange writes biases and offsets (``-PT1H``, ``PT5H30M``, ``PT0H``)."""
    sign = "-" if minutes < 0 else ""
    h, mi = divmod(abs(minutes), 60)
    return f"{sign}PT{h}H" + (f"{mi}M" if mi else "")


def definition_el(z: Zone, full: bool) -> etree._Element:
    """``t:TimeZoneDefinition``: ``Id``/``Name`` only, or with Periods, TransitionsGroups and Transitions."""
    el = etree.Element(t("TimeZoneDefinition"), Name=z.name, Id=z.id)
    if not full:
        return el
    std_id = f"trule:Microsoft/Registry/{z.id}/1-Standard"
    dst_id = f"trule:Microsoft/Registry/{z.id}/1-Daylight"
    periods = etree.SubElement(el, t("Periods"))
    etree.SubElement(periods, t("Period"), Bias=duration(-z.offset), Name="Standard", Id=std_id)
    if z.has_dst:
        etree.SubElement(periods, t("Period"), Bias=duration(-(z.offset + z.dst_delta)), Name="Daylight", Id=dst_id)
    groups = etree.SubElement(el, t("TransitionsGroups"))
    group = etree.SubElement(groups, t("TransitionsGroup"), Id="0")
    if z.has_dst:
        assert z.dst_start is not None and z.dst_end is not None
        for target, sw in ((dst_id, z.dst_start), (std_id, z.dst_end)):
            tr = etree.SubElement(group, t("RecurringDayTransition"))
            etree.SubElement(tr, t("To"), Kind="Period").text = target
            etree.SubElement(tr, t("TimeOffset")).text = duration(sw.minute)
            etree.SubElement(tr, t("Month")).text = str(sw.month)
            etree.SubElement(tr, t("DayOfWeek")).text = DAYS[sw.weekday]
            etree.SubElement(tr, t("Occurrence")).text = str(sw.week)
    else:
        tr = etree.SubElement(group, t("Transition"))
        etree.SubElement(tr, t("To"), Kind="Period").text = std_id
    transitions = etree.SubElement(el, t("Transitions"))
    tr = etree.SubElement(transitions, t("Transition"))
    etree.SubElement(tr, t("To"), Kind="Group").text = "0"
    return el


@operation("GetServerTimeZones")
def get_server_time_zones(ctx: Ctx, req: etree._Element) -> etree._Element:
    full = xs_bool(req.get("ReturnFullTimeZoneData"), True)
    ids = [(i.text or "").strip() for i in req.iterfind(f"{_M}Ids/{_T}Id")]
    # Unknown ids are left out of the answer; no Ids: every zone the server knows.
    chosen = [ZONES[i] for i in ids if i in ZONES] if ids else list(_ZONES)

    def fill(msg: etree._Element, _: None) -> None:
        defs = etree.SubElement(msg, m("TimeZoneDefinitions"))
        for z in chosen:
            defs.append(definition_el(z, full))

    return each_message("GetServerTimeZones", [None], fill)


# The availability form of a time zone (t:TimeZone with Bias / StandardTime / DaylightTime) ------------
def zone_from_availability(el: etree._Element | None) -> Zone:
    """``t:TimeZone`` of GetUserAvailability (SerializableTimeZone) -> a Zone; None/absent -> UTC."""
    if el is None:
        return UTC_ZONE
    bias = int(el.findtext(f"{_T}Bias") or 0)
    std, dst = el.find(f"{_T}StandardTime"), el.find(f"{_T}DaylightTime")
    if std is None or dst is None:
        return Zone("custom", "custom", -bias)
    std_bias, dst_bias = int(std.findtext(f"{_T}Bias") or 0), int(dst.findtext(f"{_T}Bias") or 0)
    delta = std_bias - dst_bias
    if delta == 0:
        return Zone("custom", "custom", -(bias + std_bias))

    def switch(x: etree._Element) -> Switch:
        hh, mm, *_ = (x.findtext(f"{_T}Time") or "00:00:00").split(":")
        order = int(x.findtext(f"{_T}DayOrder") or 1)
        return Switch(int(x.findtext(f"{_T}Month") or 1), -1 if order >= 5 else order,
                      DAYS.index(x.findtext(f"{_T}DayOfWeek") or "Sunday"), int(hh) * 60 + int(mm))

    return Zone("custom", "custom", -(bias + std_bias), delta, switch(dst), switch(std))
