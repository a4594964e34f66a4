"""Inbox rules, user configuration (CategoryList), OOF and delegates over real HTTP with exchangelib."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.emulator import account

DEMO_RULES = ["Invoices to Billing questions", "Flag URGENT as Urgent"]


def _with_mailbox(service_cls):
    """A test-local exchangelib service that sends ``m:MailboxSmtpAddress`` first (what 5.6.0 leaves out)."""
    from exchangelib.util import add_xml_child

    class WithMailbox(service_cls):
        def get_payload(self, rule, remove_outlook_rule_blob=True):
            payload = super().get_payload(rule=rule, remove_outlook_rule_blob=remove_outlook_rule_blob)
            add_xml_child(payload, "m:MailboxSmtpAddress", self.account.primary_smtp_address)
            payload.insert(0, payload[-1])
            return payload

    return WithMailbox


def _rule(name: str, word: str, priority: int = 1):
    from exchangelib.properties import Actions, Conditions, Rule

    return Rule(display_name=name, priority=priority, is_enabled=True,
                conditions=Conditions(contains_subject_strings=[word]), actions=Actions(mark_as_read=True))


# Inbox rules -------------------------------------------------------------------------------------
def test_shared_mailbox_rules_need_full_access(emulator) -> None:
    from exchangelib.errors import ErrorAccessDenied

    rules = account(emulator, "alice", "support").rules
    assert [r.display_name for r in rules] == DEMO_RULES
    assert [r.priority for r in rules] == [1, 2]
    moving, tagging = rules
    assert moving.conditions.contains_subject_strings == ["invoice"]
    assert moving.actions.move_to_folder.folder_id.id
    assert tagging.actions.assign_categories == ["Urgent"]
    assert account(emulator, "carol", "support").rules == rules  # carol: Full Access as well
    for user in ("dave", "bob"):  # bob is only a Reviewer on support@'s Inbox
        with pytest.raises(ErrorAccessDenied):
            account(emulator, user, "support").rules  # noqa: B018 - the property call is the request


def test_update_without_mailbox_changes_the_callers_own_rules(fresh_emulator) -> None:
    """exchangelib 5.6.0 omits MailboxSmtpAddress: Exchange applies the change to the *caller's* rules."""
    from exchangelib.errors import ResponseMessageError

    shared = account(fresh_emulator, "alice", "support")
    own = account(fresh_emulator, "alice")
    assert own.rules == []
    with pytest.raises(ResponseMessageError, match="Failed to create rule"):
        shared.create_rule(_rule("Newsletters", "newsletter"))  # re-reads support@'s rules, doesn't find it
    assert [r.display_name for r in shared.rules] == DEMO_RULES
    assert [(r.display_name, r.priority) for r in own.rules] == [("Newsletters", 1)]


def test_update_with_mailbox_changes_the_shared_mailboxs_rules(fresh_emulator) -> None:
    from exchangelib.services.inbox_rules import CreateInboxRule, DeleteInboxRule, SetInboxRule

    shared = account(fresh_emulator, "alice", "support")
    _with_mailbox(CreateInboxRule)(account=shared).get(rule=_rule("Newsletters", "newsletter", priority=1))
    rules = shared.rules
    assert [(r.display_name, r.priority) for r in rules] == [("Newsletters", 1), (DEMO_RULES[0], 2),
                                                             (DEMO_RULES[1], 3)]
    created = rules[0]
    assert created.id not in {r.id for r in rules[1:]}
    assert created.conditions.contains_subject_strings == ["newsletter"] and created.actions.mark_as_read
    created.priority, created.display_name = 3, "Newsletters (read)"
    _with_mailbox(SetInboxRule)(account=shared).get(rule=created)
    assert [(r.display_name, r.priority) for r in shared.rules] == [(DEMO_RULES[0], 1), (DEMO_RULES[1], 2),
                                                                    ("Newsletters (read)", 3)]
    _with_mailbox(DeleteInboxRule)(account=shared).get(rule=created)
    assert [(r.display_name, r.priority) for r in shared.rules] == [(DEMO_RULES[0], 1), (DEMO_RULES[1], 2)]
    assert account(fresh_emulator, "alice").rules == []


def test_rule_validation_errors_apply_nothing(fresh_emulator) -> None:
    from exchangelib.errors import ErrorInboxRulesValidationError
    from exchangelib.services.inbox_rules import CreateInboxRule, SetInboxRule

    shared = account(fresh_emulator, "alice", "support")
    with_id = _rule("Has an id", "x")
    with_id.id = "AQAAAAAAAAA="
    with pytest.raises(ErrorInboxRulesValidationError, match="CreateWithRuleId on field RuleId"):
        _with_mailbox(CreateInboxRule)(account=shared).get(rule=with_id)
    with pytest.raises(ErrorInboxRulesValidationError, match="RuleNotFound on field RuleId"):
        _with_mailbox(SetInboxRule)(account=shared).get(rule=with_id)
    assert [r.display_name for r in shared.rules] == DEMO_RULES


def test_outlook_rule_blob_must_be_removed_to_update(fresh_emulator) -> None:
    from exchangelib.errors import ErrorOutlookRuleBlobExists
    from exchangelib.services import GetInboxRules
    from exchangelib.services.inbox_rules import CreateInboxRule

    store = fresh_emulator.backend.store
    support = store.directory.by_smtp("support@example.com")
    with store.db.tx() as con:
        con.execute("INSERT INTO mailbox_settings(mailbox_id, key, value) VALUES (?, 'outlook_rule_blob', ?)",
                    (support.id, b"1"))
    shared = account(fresh_emulator, "alice", "support")

    def blob_exists() -> bool:
        svc = GetInboxRules(account=shared)
        response = svc._get_response_xml(payload=svc.get_payload(mailbox="support@example.com"))[0]
        return response.findtext("{http://schemas.microsoft.com/exchange/services/2006/messages}"
                                 "OutlookRuleBlobExists") == "true"

    assert blob_exists()
    with pytest.raises(ErrorOutlookRuleBlobExists):
        _with_mailbox(CreateInboxRule)(account=shared).get(rule=_rule("Blocked", "x"),
                                                           remove_outlook_rule_blob=False)
    _with_mailbox(CreateInboxRule)(account=shared).get(rule=_rule("Allowed", "y", priority=3))
    assert not blob_exists()
    assert [r.display_name for r in shared.rules] == [*DEMO_RULES, "Allowed"]


# User configuration: the CategoryList ------------------------------------------------------------
def _as_user(folder, other):
    """The same folder (by id) addressed through another user's Account."""
    return type(folder)(root=other.root, id=folder.id, changekey=folder.changekey)


def test_category_list_round_trip_on_the_shared_calendar(fresh_emulator) -> None:
    shared = account(fresh_emulator, "alice", "support")
    config = shared.calendar.get_user_configuration(name="CategoryList")
    assert config.id is not None and config.user_configuration_name.name == "CategoryList"
    xml = config.xml_data
    assert b'xmlns="CategoryList.xsd"' in xml
    for name in (b'name="Urgent"', b'name="Billing"', b'name="Bug"', b'name="Waiting on customer"'):
        assert name in xml
    new = xml.replace(b"</categories>", b'<category name="Escalated" color="4" keyboardShortcut="0" '
                                        b'guid="{2F2B6C2E-1E3A-4C59-9C55-5B1A1B6C7D8E}"/></categories>')
    shared.calendar.update_user_configuration(name="CategoryList", xml_data=new)
    again = shared.calendar.get_user_configuration(name="CategoryList", properties="XmlData")
    assert again.xml_data == new and again.id is None and again.dictionary is None
    # carol (Full Access too) sees alice's change; the Id changed its ChangeKey.
    carols = account(fresh_emulator, "carol", "support").calendar.get_user_configuration(name="CategoryList")
    assert carols.xml_data == new and carols.changekey != config.changekey


def test_user_configuration_rights_and_errors(fresh_emulator) -> None:
    from exchangelib.errors import ErrorAccessDenied, ErrorItemNotFound, ErrorItemSave

    # bob has no right on support@'s Calendar beyond free/busy: he cannot read the list.
    bob_calendar = _as_user(account(fresh_emulator, "alice", "support").calendar, account(fresh_emulator, "bob"))
    with pytest.raises(ErrorAccessDenied):
        bob_calendar.get_user_configuration(name="CategoryList")
    # alice is Reviewer on sales@'s Calendar: she may read it but not change it.
    sales_calendar = _as_user(account(fresh_emulator, "bob", "sales").calendar, account(fresh_emulator, "alice"))
    assert b"Hot lead" in sales_calendar.get_user_configuration(name="CategoryList").xml_data
    with pytest.raises(ErrorAccessDenied):
        sales_calendar.update_user_configuration(name="CategoryList", xml_data=b"<categories/>")
    with pytest.raises(ErrorAccessDenied):
        sales_calendar.create_user_configuration(name="Mailroom.Settings", xml_data=b"<x/>")
    # Create / Update (only the parts given) / Delete on the shared mailbox as a Full Access user.
    inbox = account(fresh_emulator, "alice", "support").inbox
    inbox.create_user_configuration(name="Mailroom.Settings", dictionary={"theme": "dark", "count": 3},
                                    binary_data=b"\x00\x01")
    with pytest.raises(ErrorItemSave):
        inbox.create_user_configuration(name="Mailroom.Settings", xml_data=b"<x/>")
    inbox.update_user_configuration(name="Mailroom.Settings", xml_data=b"<settings/>")
    got = inbox.get_user_configuration(name="Mailroom.Settings")
    assert got.dictionary == {"theme": "dark", "count": 3}
    assert (got.xml_data, got.binary_data) == (b"<settings/>", b"\x00\x01")
    inbox.delete_user_configuration(name="Mailroom.Settings")
    for call in (lambda: inbox.get_user_configuration(name="Mailroom.Settings"),
                 lambda: inbox.delete_user_configuration(name="Mailroom.Settings"),
                 lambda: inbox.update_user_configuration(name="Mailroom.Settings", xml_data=b"<x/>")):
        with pytest.raises(ErrorItemNotFound):
            call()


# Automatic replies -------------------------------------------------------------------------------
def test_oof_get_and_set(fresh_emulator) -> None:
    from exchangelib import UTC, EWSDateTime
    from exchangelib.errors import ErrorAccessDenied
    from exchangelib.settings import OofSettings

    shared = account(fresh_emulator, "alice", "support")
    default = shared.oof_settings
    assert (default.state, default.external_audience) == ("Disabled", "All")
    start = EWSDateTime.now(UTC).replace(microsecond=0) + dt.timedelta(days=1)
    wanted = OofSettings(state="Scheduled", external_audience="Known", start=start, end=start + dt.timedelta(days=3),
                         internal_reply="Back on Monday.", external_reply="We answer within two days.")
    shared.oof_settings = wanted
    got = account(fresh_emulator, "carol", "support").oof_settings
    assert (got.state, got.external_audience, got.start, got.end) == ("Scheduled", "Known", wanted.start, wanted.end)
    assert (got.internal_reply, got.external_reply) == ("Back on Monday.", "We answer within two days.")
    assert account(fresh_emulator, "alice").oof_settings.state == "Disabled"  # alice's own stay untouched
    for user in ("dave", "bob"):
        with pytest.raises(ErrorAccessDenied):
            account(fresh_emulator, user, "support").oof_settings  # noqa: B018
        with pytest.raises(ErrorAccessDenied):
            account(fresh_emulator, user, "support").oof_settings = wanted
    enabled = OofSettings(state="Enabled", external_audience="None", internal_reply="Out", external_reply="Out")
    own = account(fresh_emulator, "dave")
    own.oof_settings = enabled
    assert (own.oof_settings.state, own.oof_settings.external_audience) == ("Enabled", "None")


# Delegates ---------------------------------------------------------------------------------------
def test_delegates_are_the_send_on_behalf_holders(emulator) -> None:
    from exchangelib.errors import ErrorAccessDenied

    billing = account(emulator, "alice", "billing").delegates
    assert [d.user_id.primary_smtp_address for d in billing] == ["alice@example.com"]
    delegate = billing[0]
    assert delegate.user_id.display_name == "Alice Archer" and delegate.user_id.sid.startswith("S-1-5-21-")
    assert delegate.delegate_permissions.calendar_folder_permission_level == "None"
    assert delegate.delegate_permissions.inbox_folder_permission_level == "None"
    assert [d.user_id.primary_smtp_address for d in account(emulator, "bob", "sales").delegates] == \
        ["bob@example.com"]
    assert account(emulator, "alice", "support").delegates == []  # Send As is not a delegate right
    assert account(emulator, "dave").delegates == []
    with pytest.raises(ErrorAccessDenied):
        account(emulator, "dave", "billing").delegates  # noqa: B018
