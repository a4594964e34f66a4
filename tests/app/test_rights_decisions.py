"""What the client decides from the rights a server reports, when that server is not Exchange.

grommunio Gromox leaves the optional ``ViewPrivateItems`` out of ``EffectiveRights``. The emulator answers that
way under ``Quirk.NO_VIEW_PRIVATE_ITEMS``; alice (Full Access and Send As on support@, Reviewer on sales@) must
still get the From default, the label list and the rules of support@, decided from the rights on the folders
each of them needs, and sales@ must stay read-only.
"""

from __future__ import annotations

import pytest

from ews_emulator.quirks import Quirk
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def test_full_access_without_view_private_items_still_works_the_mailbox(qtbot, start_fresh_emulator,
                                                                        drive) -> None:
    emu = start_fresh_emulator(quirks=[Quirk.NO_VIEW_PRIVATE_ITEMS.value])
    d = drive(emu, mailbox=SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    tree = d.app.sidebar_model.tree(SUPPORT)
    inbox = tree.folder("inbox")
    assert not inbox.rights.view_private_items  # the shape this test is about
    assert tree.full_access and tree.access_summary() == "full access"

    # Sending: the open mailbox is the default From (alice may create items in its Drafts and Sent Items).
    d.open_folder(SUPPORT)
    assert d.window.commands.default_from() == SUPPORT
    window = d.window.commands.new_message()
    assert window.from_combo.currentData() == SUPPORT
    window.close()

    controller = d.window.admin.controller
    ref = {m.key: m for m in d.app.sidebar_model.mailboxes()}
    # Labels: owner rights on support@'s Calendar let her change its list.
    labels = controller.open_label_manager(ref[SUPPORT])
    qtbot.waitUntil(lambda: bool(labels.names()), timeout=WAIT_MS)
    assert labels.add_button.isEnabled() and not labels.banner.text()
    # Rules: owner rights on its Inbox.
    rules = controller.open_rules_manager(ref[SUPPORT])
    assert rules.capability.allowed

    # sales@ (Reviewer on Inbox and Calendar) stays what it is: no owner rights anywhere.
    d.open_folder(SALES)
    assert d.window.commands.default_from() == OWN
    assert not controller.label_capability(ref[SALES]).allowed
    assert not controller.rules_capability(ref[SALES]).allowed


def test_the_from_default_needs_drafts_and_sent_items_and_a_send_right_not_known_missing() -> None:
    from app.domain.rights import FolderRights, SendRight, may_default_sender

    writable, reviewer = FolderRights(read=True, create_contents=True), FolderRights(read=True)
    assert may_default_sender(writable, writable, SendRight.UNKNOWN)  # Exchange tells only at the first send
    assert may_default_sender(writable, writable, SendRight.SEND_AS)
    assert not may_default_sender(writable, writable, SendRight.NONE)  # a refused send taught it
    assert not may_default_sender(None, writable, SendRight.SEND_AS)  # Drafts not visible
    assert not may_default_sender(writable, reviewer, SendRight.SEND_AS)  # no copy in Sent Items
    assert not may_default_sender(reviewer, None, SendRight.UNKNOWN)
