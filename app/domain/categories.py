"""Exchange categories (labels) and the 25 Outlook preset colours."""

from __future__ import annotations

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
