"""What the user can know of a mailbox's master category list, for colours and for offering categories.

The list is Outlook's ``CategoryList`` configuration on the mailbox's Calendar ([MS-OXOCFG] 2.2.5.2.2), read by
:func:`app.ews.labels.read_list` (the one reader). A mailbox without a list has no categories; a list the server
refuses to show (no right to the mailbox's Calendar) or that is not a category list is *unreadable*, which is not
the same: the mailbox's messages still carry its categories. Then the user's own list is read too, so that its
categories (and colours) can be offered instead (:func:`app.domain.categories.offered_categories`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.domain.categories import Category, MasterList
from app.domain.errors import AccessDenied, ItemGone
from app.domain.labels import LabelError
from app.ews import labels
from app.ews.client import EwsClient

log = logging.getLogger(__name__)
NO_CALENDAR_ACCESS = "you have no access to its Calendar"


def master_list(client: EwsClient, mailbox: str, *, on_wait: Callable[[str], None] | None = None) -> MasterList:
    """The mailbox's master list, or why it cannot be read (one GetUserConfiguration; one more for the user's
    own list when the mailbox's cannot be read).

    Args:
        client: The signed-in user.
        mailbox: The mailbox whose list to read (the user's own or a shared one).
        on_wait: Told when Exchange is busy and the read waits to be retried.
    """
    try:
        return MasterList(tuple(labels.read_list(client, mailbox, on_wait=on_wait).categories()))
    except ItemGone:
        return MasterList()  # no Calendar to keep a list in: no categories
    except AccessDenied as error:
        log.info("The category list of %s cannot be read: %s", mailbox, error)
        reason = NO_CALENDAR_ACCESS
    except LabelError as error:
        log.warning("The category list of %s is not usable: %s", mailbox, error)
        reason = "it is not an Outlook category list"
    own: tuple[Category, ...] = ()
    if mailbox.casefold() != client.user.key:
        try:
            own = tuple(labels.read_list(client, client.user.address, on_wait=on_wait).categories())
        except (AccessDenied, LabelError, ItemGone) as error:
            log.info("The user's own category list cannot be read either: %s", error)
    return MasterList((), readable=False, reason=reason, own=own)
