"""Schema tooling: the generated order tables, the ordering helpers, validation and the schema fault."""

from __future__ import annotations

import importlib.util
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from exchangelib import IMPERSONATION, NTLM, Account, Build, Configuration, Credentials, EWSTimeZone, Version
from exchangelib.errors import ErrorSchemaValidation
from exchangelib.properties import DistinguishedFolderId, Mailbox
from exchangelib.services import GetFolder
from exchangelib.services.common import EWSService
from lxml import etree

from ews_emulator import schema as schema_mod
from ews_emulator.schema import (
    SchemaNotFoundError,
    SchemaValidator,
    Violation,
    find_schema_dir,
    schema_validation_fault,
)
from ews_emulator.soap import SOAP_NS, T_NS, SoapFault, envelope, xs_bool
from ews_emulator.xml import M, T, fmt_bool, fmt_datetime, order_children, order_document, order_tree, sub
from ews_emulator.xml.schema_order import ELEMENT_TYPE, ELEMENTS, ENUMS, INTERLEAVED, ORDER
from tests.support.ews_schema import schema_dir_or_skip, schema_validator_or_skip

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "ews_emulator" / "xml" / "schema_order.py"

# Successful GetFolder response from Microsoft's "GetFolder operation" page.
DOCS_GETFOLDER_RESPONSE = b"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Header>
    <t:ServerVersionInfo MajorVersion="8" MinorVersion="0" MajorBuildNumber="628" MinorBuildNumber="0"
                         xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" />
  </soap:Header>
  <soap:Body>
    <GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
                       xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
                       xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">
      <m:ResponseMessages>
        <m:GetFolderResponseMessage ResponseClass="Success">
          <m:ResponseCode>NoError</m:ResponseCode>
          <m:Folders>
            <t:Folder>
              <t:FolderId Id="AQApA=" ChangeKey="AQAAAB" />
              <t:DisplayName>Inbox</t:DisplayName>
              <t:TotalCount>2</t:TotalCount>
              <t:ChildFolderCount>0</t:ChildFolderCount>
              <t:UnreadCount>2</t:UnreadCount>
            </t:Folder>
          </m:Folders>
        </m:GetFolderResponseMessage>
      </m:ResponseMessages>
    </GetFolderResponse>
  </soap:Body>
</soap:Envelope>"""


def _load_generator():
    """Import tools/gen_schema_order.py by path (tools/ is a script folder, not a package)."""
    name = "_mailroom_gen_schema_order"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "gen_schema_order.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses resolve their annotations through sys.modules
        spec.loader.exec_module(module)
    return sys.modules[name]


def _localnames(el: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in el]


def _message(i: int) -> etree._Element:
    """A t:Message with children appended in a deliberately wrong order."""
    msg = T("Message")
    sub(msg, "t", "IsRead", i % 2 == 0)
    sender = sub(msg, "t", "Sender")
    mailbox = sub(sender, "t", "Mailbox")
    sub(mailbox, "t", "RoutingType", "SMTP")  # EmailAddressType: Name, EmailAddress, RoutingType
    sub(mailbox, "t", "EmailAddress", f"sender{i}@example.com")
    sub(mailbox, "t", "Name", f"Sender {i}")
    sub(msg, "t", "DateTimeReceived", datetime(2026, 11, 26, 17, 56, 32, 123456, tzinfo=UTC))
    sub(msg, "t", "Subject", f"Subject {i}")
    sub(msg, "t", "HasAttachments", False)
    sub(msg, "t", "ItemId", Id=f"AAMk{i}=", ChangeKey="CQAAAB")
    sub(msg, "t", "Size", 1024 + i)
    sub(msg, "t", "ParentFolderId", Id="AQApA=")
    sub(msg, "t", "ItemClass", "IPM.Note")
    frm = sub(msg, "t", "From")
    sub(sub(frm, "t", "Mailbox"), "t", "EmailAddress", "from@example.com")
    sub(msg, "t", "Importance", "Normal")
    sub(msg, "t", "ConversationId", Id="AAQk=")
    return msg


def _get_item_response(items: list[etree._Element]) -> etree._Element:
    resp = M("GetItemResponse")
    msgs = sub(resp, "m", "ResponseMessages")
    rm = sub(msgs, "m", "GetItemResponseMessage", ResponseClass="Success")
    holder = sub(rm, "m", "Items")  # appended before ResponseCode on purpose
    for item in items:
        holder.append(item)
    sub(rm, "m", "ResponseCode", "NoError")
    return resp


# -- generated tables --------------------------------------------------------------------------


def test_generated_module_is_up_to_date_with_schema() -> None:
    generator = _load_generator()
    expected = generator.render(schema_dir_or_skip())
    assert GENERATED.read_text(encoding="utf-8") == expected, "run tools/gen_schema_order.py"
    title = "Generated by tools/gen_schema_order.py from Microsoft's EWS schema (Exchange 2019 CU15)."
    assert expected.startswith(f'"""{title} Do not edit.')


def test_generator_fails_clearly_without_schema(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="types.xsd"):
        _load_generator().render(tmp_path)


def test_message_type_order_flattens_item_type_first() -> None:
    item = ORDER["t:ItemType"]
    message = ORDER["t:MessageType"]
    assert item[:5] == ("MimeContent", "ItemId", "ParentFolderId", "ItemClass", "Subject")
    assert message[: len(item)] == item
    own = message[len(item) :]
    assert own.index("Sender") < own.index("From") < own.index("IsRead")
    assert ELEMENT_TYPE["t:MessageType"]["Sender"] == "t:SingleRecipientType"
    assert ELEMENT_TYPE["t:MessageType"]["ItemId"] == "t:ItemIdType"


def test_tables_cover_messages_enums_groups_and_substitutions() -> None:
    base = ("MessageText", "ResponseCode", "DescriptiveLinkKey", "MessageXml")
    assert ORDER["m:ResponseMessageType"] == base
    assert ELEMENT_TYPE["m:ResponseMessageType"]["ResponseCode"] == "m:ResponseCodeType"
    assert ORDER["m:ResponseMessageType/MessageXml"] == ("*",)  # anonymous type with xs:any
    assert {"NoError", "ErrorSchemaValidation", "ErrorAccessDenied"} <= set(ENUMS["m:ResponseCodeType"])
    assert "t:ResponseCodeType" not in ENUMS  # it lives in messages.xsd
    assert "Reviewer" in ENUMS["t:PermissionLevelType"]
    folders = ENUMS["t:DistinguishedFolderIdNameType"]
    assert folders[:5] == ("calendar", "contacts", "deleteditems", "drafts", "inbox")
    # group refs (RecurrencePatternTypes, RecurrenceRangeTypes) expanded in place
    assert ORDER["t:RecurrenceType"][-3:] == ("NoEndRecurrence", "EndDateRecurrence", "NumberedRecurrence")
    # abstract t:Path replaced by its substitution group, which may interleave
    paths = ("FieldURI", "IndexedFieldURI", "ExtendedFieldURI")
    assert ORDER["t:NonEmptyArrayOfPathsToElementType"] == paths
    assert INTERLEAVED["t:NonEmptyArrayOfPathsToElementType"] == (paths,)
    assert ELEMENTS["m:GetItemResponse"] == "m:GetItemResponseType"
    assert ELEMENTS["t:RequestServerVersion"] == "t:RequestServerVersion/"


# -- builder -----------------------------------------------------------------------------------


def test_factories_declare_namespaces_once_and_format_values() -> None:
    resp = M("FindItemResponse")
    rm = sub(sub(resp, "m", "ResponseMessages"), "m", "FindItemResponseMessage", ResponseClass="Success")
    sub(rm, "t", "IsRead", True, Skipped=None)
    sub(rm, "t", "Size", 42)
    sub(rm, "t", "DateTimeSent", datetime(2026, 11, 26, 18, 56, 32, 999, tzinfo=timezone(timedelta(hours=1))))
    xml = etree.tostring(resp)
    assert xml.count(b"xmlns:t=") == 1 and xml.count(b"xmlns:m=") == 1
    assert b"<t:IsRead>true</t:IsRead>" in xml and b"Skipped" not in xml
    assert b"<t:Size>42</t:Size>" in xml
    assert b"<t:DateTimeSent>2026-11-26T17:56:32Z</t:DateTimeSent>" in xml
    assert fmt_datetime(datetime(2026, 1, 2, 3, 4, 5, 600000)) == "2026-01-02T03:04:05Z"
    assert (fmt_bool(True), fmt_bool(False)) == ("true", "false")


def test_order_children_sorts_shuffled_message_into_schema_order() -> None:
    rng = random.Random(7)
    for _ in range(20):
        msg = _message(1)
        children = list(msg)
        rng.shuffle(children)
        msg[:] = children
        order_children(msg, "t:MessageType")
        names = _localnames(msg)
        assert names == sorted(names, key=ORDER["t:MessageType"].index)
        assert names[:4] == ["ItemId", "ParentFolderId", "ItemClass", "Subject"]


def test_order_children_rejects_children_foreign_to_the_type() -> None:
    folder = T("Folder")
    sub(folder, "t", "Subject", "not a folder property")
    with pytest.raises(ValueError, match="Subject.*t:FolderType"):
        order_children(folder, "t:FolderType")
    with pytest.raises(ValueError, match="unknown schema type"):
        order_children(folder, "t:NoSuchType")


def test_repeating_choice_keeps_emitted_order_while_sorting_inside() -> None:
    items = M("Items")
    kinds = ["Message", "CalendarItem", "Message", "Contact", "Item"]
    for n, kind in enumerate(kinds):
        item = sub(items, "t", kind)
        sub(item, "t", "Subject", f"#{n}")
        sub(item, "t", "ItemId", Id=f"id{n}")
    order_tree(items, "t:ArrayOfRealItemsType")
    assert _localnames(items) == kinds
    assert [item.findtext(f"{{{T_NS}}}Subject") for item in items] == [f"#{n}" for n in range(5)]
    assert all(_localnames(item) == ["ItemId", "Subject"] for item in items)


def test_wildcard_accepts_any_child() -> None:
    fault_xml = M("MessageXml")
    sub(fault_xml, "t", "Value", "30000", Name="BackOffMilliseconds")
    sub(fault_xml, "urn:example", "Anything")
    assert _localnames(order_children(fault_xml, "m:ResponseMessageType/MessageXml")) == ["Value", "Anything"]


def test_ordered_get_item_response_validates() -> None:
    validator = schema_validator_or_skip()
    response = _get_item_response([_message(i) for i in range(3)])
    # unordered, the response must be invalid: the test would catch a no-op sorter
    assert validator.validate_response(envelope(response))
    order_document(response)
    assert validator.validate_response(envelope(response)) == []
    rm = response[0][0]
    assert _localnames(rm) == ["ResponseCode", "Items"]
    mailbox = rm[1][0].find(f"{{{T_NS}}}Sender/{{{T_NS}}}Mailbox")
    assert _localnames(mailbox) == ["Name", "EmailAddress", "RoutingType"]


def test_ordering_a_100_message_page_is_fast() -> None:
    response = _get_item_response([_message(i) for i in range(100)])
    started = time.perf_counter()
    order_document(response)
    elapsed = time.perf_counter() - started
    assert _localnames(response[0][0][1][0])[:2] == ["ItemId", "ParentFolderId"]
    assert elapsed < 0.25, f"order_document on 100 messages took {elapsed * 1000:.1f} ms"


# -- validation --------------------------------------------------------------------------------


def test_docs_get_folder_response_validates_and_tampering_is_caught() -> None:
    validator = schema_validator_or_skip()
    assert validator.validate_response(DOCS_GETFOLDER_RESPONSE) == []
    bad_int = DOCS_GETFOLDER_RESPONSE.replace(b"<t:TotalCount>2<", b"<t:TotalCount>two<")
    errors = validator.validate_response(bad_int)
    assert len(errors) == 1 and errors[0].startswith("line 19:")
    assert "'two'" in errors[0] and "xs:int" in errors[0]
    display, unread = b"<t:DisplayName>Inbox</t:DisplayName>", b"<t:UnreadCount>2</t:UnreadCount>"
    swapped = DOCS_GETFOLDER_RESPONSE.replace(display, b"").replace(unread, unread + display)
    errors = validator.validate_response(swapped)
    assert len(errors) == 1 and "DisplayName" in errors[0] and "not expected" in errors[0]
    bad_code = DOCS_GETFOLDER_RESPONSE.replace(b">NoError<", b">ErrorNoSuchThing<")
    assert any("ResponseCode" in e for e in validator.validate_response(bad_code))


def _exchangelib_get_folder_request() -> bytes:
    """A real exchangelib GetFolder envelope with all three SOAP headers (built offline)."""
    config = Configuration(
        service_endpoint="https://127.0.0.1:9/EWS/Exchange.asmx",
        credentials=Credentials("alice@example.com", "unused"),
        version=Version(build=Build(15, 2, 2562, 17), api_version="Exchange2016"),
        auth_type=NTLM,
    )
    account = Account(
        "alice@example.com",
        config=config,
        autodiscover=False,
        access_type=IMPERSONATION,
        default_timezone=EWSTimeZone("Europe/Berlin"),
    )
    service = GetFolder(account=account)
    folder = DistinguishedFolderId(id="inbox", mailbox=Mailbox(email_address="shared@example.com"))
    payload = service.get_payload(folders=[folder], additional_fields=[], shape="IdOnly")
    return service.wrap(content=payload, api_version="Exchange2016")


def test_exchangelib_request_and_its_soap_headers_validate() -> None:
    validator = schema_validator_or_skip()
    request = _exchangelib_get_folder_request()
    for header in (b"t:RequestServerVersion", b"t:ExchangeImpersonation", b"t:TimeZoneContext"):
        assert b"<" + header in request
    assert validator.validate_request(request) == []
    assert validator.validate_request(etree.fromstring(request)) == []
    bad_version = request.replace(b'Version="Exchange2016"', b'Version="Exchange1999"')
    [violation] = validator.validate_request(bad_version)
    assert "Exchange1999" in violation.message and violation.line == 2
    bad_header = request.replace(b"<t:PrimarySmtpAddress>", b"<t:Nonsense/><t:PrimarySmtpAddress>")
    assert any("Nonsense" in v.message for v in validator.validate_request(bad_header))


def test_validate_request_reports_malformed_xml_and_non_envelopes() -> None:
    validator = schema_validator_or_skip()
    [broken] = validator.validate_request(b"<s:Envelope xmlns:s='x'>\n<a></b>")
    assert broken.line == 2 and "mismatch" in broken.message
    [not_soap] = validator.validate_request(b"<Envelope/>")
    assert "SOAP" in not_soap.message


def test_schema_validation_fault_parses_in_exchangelib() -> None:
    validator = schema_validator_or_skip()
    request = _exchangelib_get_folder_request().replace(b'Version="Exchange2016"', b'Version="Exchange1999"')
    violations = validator.validate_request(request)
    fault_xml = schema_validation_fault(violations)
    root = etree.fromstring(fault_xml)
    assert root.find(f"{{{SOAP_NS}}}Header") is None
    fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    assert fault.findtext("faultcode") == "a:ErrorSchemaValidation"
    assert fault.findtext("faultstring") == f"The request failed schema validation: {violations[0].message}"
    with pytest.raises(ErrorSchemaValidation) as raised:
        EWSService._raise_soap_errors(fault=fault)
    text = str(raised.value)
    assert text.startswith("The request failed schema validation. ")
    assert violations[0].message in text and "Exchange1999" in text
    assert f"(line: {violations[0].line} position: {violations[0].position})" in text
    with pytest.raises(ValueError):
        schema_validation_fault([])


def test_validator_is_safe_across_threads() -> None:
    validator = schema_validator_or_skip()
    bad = DOCS_GETFOLDER_RESPONSE.replace(b"<t:TotalCount>2<", b"<t:TotalCount>two<")
    failures: list[str] = []

    def work(n: int) -> None:
        mine = SchemaValidator(validator.schema_dir)  # shares the cached compiled schema
        for i in range(60):
            doc, want = (bad, 1) if (i + n) % 2 else (DOCS_GETFOLDER_RESPONSE, 0)
            got = mine.validate_response(doc)
            if len(got) != want:
                failures.append(f"thread {n} round {i}: {got}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_missing_schema_folder_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "types.xsd").write_text("<x/>")
    with pytest.raises(SchemaNotFoundError, match="lacks messages.xsd"):
        SchemaValidator(tmp_path)
    monkeypatch.setenv(schema_mod.ENV_VAR, str(tmp_path))
    with pytest.raises(SchemaNotFoundError, match="MAILROOM_EWS_SCHEMA"):
        find_schema_dir(tmp_path)
    monkeypatch.delenv(schema_mod.ENV_VAR)
    assert find_schema_dir(tmp_path) is None


def test_find_schema_dir_prefers_env_var_then_shared_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    real = schema_dir_or_skip()
    monkeypatch.delenv(schema_mod.ENV_VAR, raising=False)
    assert find_schema_dir(ROOT / "ews_emulator") == real
    monkeypatch.setenv(schema_mod.ENV_VAR, str(real))
    assert find_schema_dir(Path("/")) == real


def test_violation_str() -> None:
    assert str(Violation(3, 7, "boom")) == "line 3, position 7: boom"


# -- xs:boolean --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("0", False), ("true", True), ("false", False), (" true ", True)]
)
def test_xs_bool_accepts_every_lexical_form(text: str, value: bool) -> None:
    assert xs_bool(text) is value


@pytest.mark.parametrize("text", ["True", "FALSE", "yes", "2", "", "t"])
def test_xs_bool_rejects_garbage(text: str) -> None:
    with pytest.raises(SoapFault) as raised:
        xs_bool(text)
    assert raised.value.code == "ErrorSchemaValidation"


def test_xs_bool_default_for_absent_element() -> None:
    assert xs_bool(None) is False and xs_bool(None, default=True) is True
