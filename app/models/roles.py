"""Custom item-data roles of Mailroom's models, as class constants.

Views and delegates ask a model for domain objects through these roles instead of parsing display text::

    ref = index.data(Roles.FolderRefRole)            # FolderRef of a sidebar folder
    summary = index.data(Roles.SummaryRole)          # MessageSummary of a message-list row

The models repeat the constants as class attributes (``SidebarModel.FolderRefRole``), so callers need not
import this module.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

_USER = int(Qt.ItemDataRole.UserRole)


class Roles:
    """Every custom role, numbered from ``Qt.UserRole + 1`` (unique across both models)."""

    # Sidebar (folder tree)
    FolderRefRole = _USER + 1
    """:class:`~app.domain.folders.FolderRef` of a folder row; ``None`` on a mailbox row."""
    FolderNodeRole = _USER + 2
    """:class:`~app.domain.folders.FolderNode` of a folder row (rights, counts, kind)."""
    MailboxRole = _USER + 3
    """:class:`~app.domain.mailbox.MailboxRef` of the mailbox row, or of the mailbox holding a folder."""
    AccessRole = _USER + 4
    """Plain-language access: "read-only access to Inbox and Calendar" (mailbox) or "read-only" (folder)."""
    MailboxTreeRole = _USER + 5
    """The whole :class:`MailboxTree` (``app.ews.folders``) of a mailbox row, for the "My access" panel."""
    UnreadCountRole = _USER + 6
    """Unread items in a folder (int)."""
    TotalCountRole = _USER + 7
    """Items in a folder (int)."""
    IsMailboxRole = _USER + 8
    """True on a mailbox (top-level) row."""
    MailboxErrorRole = _USER + 9
    """Why a mailbox row could not be opened (plain words), or "" when it is open or opening."""
    MailboxRetryingRole = _USER + 10
    """True while an unavailable mailbox is being tried again."""

    # Message list
    ItemIdRole = _USER + 20
    """EWS ItemId (str) of the row; the same in every column."""
    SummaryRole = _USER + 21
    """The row's :class:`~app.domain.messages.MessageSummary`."""
    RightsRole = _USER + 22
    """The row's :class:`~app.domain.rights.ItemRights`."""
    CategoriesRole = _USER + 23
    """``tuple[tuple[str, str], ...]``: (category name, "#rrggbb") pairs, for a chip delegate."""
    IsReadRole = _USER + 24
    """Read state (bool)."""
    FlaggedRole = _USER + 25
    """Follow-up flag (bool)."""
    SortValueRole = _USER + 26
    """The raw value of the cell (datetime, int, str), e.g. for a delegate or a proxy."""
