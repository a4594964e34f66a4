"""Exchange categories (labels) and the 25 Outlook preset colours."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

# Outlook's preset colours (color="0".."24" in the CategoryList), as Outlook on the web draws them.
PRESET_COLORS: tuple[tuple[str, str], ...] = (
    ("Red", "#e7434d"), ("Orange", "#f7923a"), ("Brown", "#ac7b56"), ("Yellow", "#f9d448"),
    ("Green", "#5fbf5c"), ("Teal", "#4cc9b6"), ("Olive", "#a8b955"), ("Blue", "#5587e3"),
    ("Purple", "#a47ddc"), ("Cranberry", "#d04e73"), ("Steel", "#a1b2bb"), ("Dark steel", "#6a7a85"),
    ("Gray", "#b6b6b6"), ("Dark gray", "#696969"), ("Black", "#404040"), ("Dark red", "#b52b37"),
    ("Dark orange", "#d0671c"), ("Dark brown", "#7c5436"), ("Dark yellow", "#c3a226"), ("Dark green", "#2e8b2c"),
    ("Dark teal", "#1f8c7e"), ("Dark olive", "#737f2c"), ("Dark blue", "#2b5aad"), ("Dark purple", "#6f43aa"),
    ("Dark cranberry", "#99213f"),
)
NEUTRAL = "#c8c8c8"  # a category on an item that is not in the master list (no colour, as Outlook shows it)


@dataclass(frozen=True)
class Category:
    """One entry of a mailbox's master category list."""

    name: str
    color: int = -1  # -1: none; 0..24: PRESET_COLORS index

    @property
    def hex_color(self) -> str:
        return PRESET_COLORS[self.color][1] if 0 <= self.color < len(PRESET_COLORS) else NEUTRAL


def color_for(name: str, master: dict[str, Category]) -> str:
    """The chip colour of a category name on an item (case-insensitive, as Exchange compares)."""
    hit = master.get(name.casefold())
    return hit.hex_color if hit else NEUTRAL


@dataclass(frozen=True)
class MasterList:
    """What is known of a mailbox's master category list.

    Attributes:
        categories: The list in its saved order (empty when the mailbox has none, or it could not be read).
        readable: False when it could not be read (no right to the mailbox's Calendar, or not a category list):
            then an empty ``categories`` says nothing about which categories the mailbox uses.
        reason: Why it could not be read, a clause in plain words ("you have no access to its Calendar"; "" when
            readable).
        own: The signed-in user's own master list, read when this one could not be (its colours and names are
            offered instead, marked as the user's).
    """

    categories: tuple[Category, ...] = ()
    readable: bool = True
    reason: str = ""
    own: tuple[Category, ...] = ()


class Origin(enum.Enum):
    """Where an offered category comes from."""

    MAILBOX = "mailbox"  # the mailbox's own master list
    ITEMS = "items"  # seen on the folder's items (the mailbox's list could not be read)
    OWN = "own"  # the user's own master list (the mailbox's list could not be read)


@dataclass(frozen=True)
class OfferedCategory:
    """A category offered for applying (Categorise menu, label picker), with where it comes from."""

    category: Category
    origin: Origin = Origin.MAILBOX

    @property
    def name(self) -> str:
        return self.category.name

    @property
    def hex_color(self) -> str:
        return self.category.hex_color

    @property
    def note(self) -> str:
        """What marks the entry: "" for the mailbox's list, else where it comes from."""
        return {Origin.MAILBOX: "", Origin.ITEMS: "on messages here", Origin.OWN: "your category"}[self.origin]


def offered_categories(master: MasterList, seen: Iterable[str] = ()) -> list[OfferedCategory]:
    """The categories to offer for applying in a mailbox.

    A readable master list is offered as it is (Outlook's behaviour). When the list could not be read, the
    mailbox's categories are still in use on its messages: those ``seen`` on the folder's items are offered
    (alphabetically), then the user's own list; each keeps the colour of the user's own category of that name
    where there is one (case-insensitive, as Exchange compares), else none.
    """
    if master.readable:
        return [OfferedCategory(c) for c in master.categories]
    own = {c.name.casefold(): c for c in master.own}
    names: dict[str, str] = {}
    for name in seen:
        clean = name.strip()
        if clean:
            names.setdefault(clean.casefold(), clean)
    out = [OfferedCategory(Category(n, own[k].color if k in own else -1), Origin.ITEMS)
           for k, n in sorted(names.items())]
    out.extend(OfferedCategory(c, Origin.OWN) for c in master.own if c.name.casefold() not in names)
    return out


def unreadable_notice(display_name: str, master: MasterList) -> str:
    """The sentence shown where a mailbox's categories are offered although its list could not be read."""
    if master.readable:
        return ""
    why = f": {master.reason.rstrip('.')}" if master.reason else ""
    return (f"The category list of {display_name} could not be read{why}. Shown are the categories on its "
            "messages here and your own.")
