"""The reading pane with a real QtWebEngine (offscreen): safety of the body, header, attachments, links."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from PySide6.QtCore import QBuffer, QCoreApplication, QEvent, QIODevice, QLocale, QPoint, Qt, QTime, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWebEngineCore import QWebEngineSettings
from pytestqt.qtbot import QtBot

from app.domain.categories import Category
from app.domain.messages import AttachmentInfo, MessageDetail, MessageSummary, Person
from app.views.reading_pane import ReadingPane, format_size
from app.views.webview import MessageView, build_document

SALES = Person("sales@example.com", "Sales Team")
BOB = Person("bob@example.com", "Bob Baker")
ALICE = Person("alice@example.com", "Alice Archer")
CAROL = Person("carol@example.com", "Carol Chen")
LOAD_TIMEOUT_MS = 15_000

# Headless QtWebEngine reports that it has no OpenGL (it renders in software then); not a defect of the pane.
pytestmark = pytest.mark.qt_log_ignore(
    r"^QRhiGles2: Failed to create (temporary )?context",
    r"^Failed to create RHI for backend: OpenGL",
    r"^GPUInfo not initialized on GpuInfoUpdate",
    extend=True,
)


def png(color: str, size: int = 24) -> bytes:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def make_detail(
    *,
    item_id: str = "item-1",
    subject: str = "Quarterly numbers",
    html: str | None = "<p>Hello</p>",
    text: str | None = None,
    author: Person | None = SALES,
    sender: Person | None = SALES,
    to: tuple[Person, ...] = (ALICE,),
    cc: tuple[Person, ...] = (),
    attachments: tuple[AttachmentInfo, ...] = (),
    categories: tuple[str, ...] = (),
    last_modified_name: str = "",
    sent: datetime | None = datetime(2026, 11, 26, 13, 5, tzinfo=UTC),
) -> MessageDetail:
    summary = MessageSummary(
        item_id=item_id,
        change_key="ck",
        subject=subject,
        sender=author,
        received=sent,
        size=2048,
        is_read=False,
        has_attachments=bool(attachments),
        categories=categories,
    )
    return MessageDetail(
        summary=summary,
        author=author,
        sender=sender,
        to=to,
        cc=cc,
        sent=sent,
        body_html=html if text is None else None,
        body_text=text,
        attachments=attachments,
        last_modified_name=last_modified_name,
    )


@dataclass
class ImageServer:
    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    """A real HTTP server on 127.0.0.1 that serves a PNG for every path and records what was asked."""
    body = png("#00aa00")
    state = ImageServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            state.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="image-server")
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def pane(qtbot: QtBot) -> Iterator[ReadingPane]:
    widget = ReadingPane()
    widget.resize(900, 720)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    # Delete it now (not at interpreter exit, when QtWebEngine is already shutting down).
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def show(
    qtbot: QtBot, pane: ReadingPane, detail: MessageDetail, images: dict[str, bytes] | None = None
) -> None:
    with qtbot.waitSignal(pane.body_loaded, timeout=LOAD_TIMEOUT_MS) as blocker:
        pane.show_message(detail, images)
    assert blocker.args == [True]


def page_html(qtbot: QtBot, view: MessageView) -> str:
    result: list[str] = []
    view.page().toHtml(result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=LOAD_TIMEOUT_MS)
    return result[0]


def plain(label_text: str) -> str:
    document = QTextDocument()
    document.setHtml(label_text)
    return document.toPlainText()


# ---------------------------------------------------------------------------------------------------------------
# The body is inert


def test_scripts_and_handlers_do_not_run(qtbot: QtBot, pane: ReadingPane) -> None:
    detail = make_detail(
        html=(
            "<html><head><title>pwned-title</title></head><body onload=\"document.title='pwned-onload'\">"
            "<p>Visible text</p><script>document.title='pwned-script'</script>"
            '<img src="cid:nothing" onerror="document.title=\'pwned-onerror\'">'
            "<a href=\"javascript:document.title='pwned-link'\">link</a></body></html>"
        )
    )
    show(qtbot, pane, detail)
    html = page_html(qtbot, pane.view)
    assert "Visible text" in html
    for marker in ("<script", "onerror", "onload", "javascript:", "pwned"):
        assert marker not in html
    assert "pwned" not in pane.view.page().title()
    settings = pane.view.page().settings()
    assert not settings.testAttribute(QWebEngineSettings.WebAttribute.JavascriptEnabled)
    assert not settings.testAttribute(QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows)
    assert not settings.testAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls)
    assert pane.view.profile().isOffTheRecord()
    assert "Content-Security-Policy" in html and "script-src 'none'" in html


def test_javascript_is_off_even_for_unsanitised_html(qtbot: QtBot) -> None:
    """The view itself runs no script, whatever reaches it (no CSP in this document either)."""
    view = MessageView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    document = (
        "<html><head><title>start</title></head><body><script>document.title='pwned'</script>"
        '<img src="data:image/gif;base64,broken" onerror="document.title=\'pwned2\'"></body></html>'
    )
    with qtbot.waitSignal(view.load_finished, timeout=LOAD_TIMEOUT_MS):
        view.show_document(document, allow_remote=False)
    assert view.page().title() == "start"


# ---------------------------------------------------------------------------------------------------------------
# Remote content


def test_remote_content_is_blocked_until_the_user_asks(
    qtbot: QtBot, pane: ReadingPane, image_server: ImageServer
) -> None:
    detail = make_detail(
        html=(
            f'<p>Newsletter</p><img src="{image_server.url}/pixel.png" width="20" height="20">'
            f'<table><tr><td style="background:url({image_server.url}/bg.png)">cell</td></tr></table>'
        )
    )
    show(qtbot, pane, detail)
    assert image_server.hits == []
    assert pane.remote_banner.isVisible()
    assert pane.remote_banner_label.text().startswith("Remote content was blocked (2 items)")
    assert pane.blocked_count() == 2

    with (
        qtbot.waitSignal(pane.remote_content_requested),
        qtbot.waitSignal(pane.body_loaded, timeout=LOAD_TIMEOUT_MS),
    ):
        qtbot.mouseClick(pane.show_remote_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: {"/pixel.png", "/bg.png"} <= set(image_server.hits), timeout=LOAD_TIMEOUT_MS)
    assert not pane.remote_banner.isVisible()
    assert pane.remote_allowed()

    # Only for that message: the next one is blocked again.
    other = make_detail(item_id="item-2", html=f'<img src="{image_server.url}/second.png">')
    show(qtbot, pane, other)
    assert "/second.png" not in image_server.hits
    assert not pane.remote_allowed()
    assert pane.remote_banner.isVisible()
    assert pane.remote_banner_label.text().startswith("Remote content was blocked (1 item)")


def test_the_network_gate_blocks_and_counts_what_the_sanitiser_missed(
    qtbot: QtBot, image_server: ImageServer
) -> None:
    """Unsanitised HTML without a CSP straight into the view: the request interceptor alone stops it."""
    view = MessageView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    document = f'<html><body><img src="{image_server.url}/sneaky.png"><p>x</p></body></html>'
    with (
        qtbot.waitSignal(view.remote_blocked, timeout=LOAD_TIMEOUT_MS) as blocked,
        qtbot.waitSignal(view.load_finished, timeout=LOAD_TIMEOUT_MS),
    ):
        view.show_document(document, allow_remote=False)
    assert blocked.args == [1]
    assert view.blocked_requests() == 1
    assert image_server.hits == []

    with qtbot.waitSignal(view.load_finished, timeout=LOAD_TIMEOUT_MS):
        view.show_document(document.replace("sneaky", "allowed"), allow_remote=True)
    qtbot.waitUntil(lambda: "/allowed.png" in image_server.hits, timeout=LOAD_TIMEOUT_MS)
    assert view.blocked_requests() == 0


def test_allowing_remote_content_for_one_document_does_not_allow_it_for_others(
    qtbot: QtBot, image_server: ImageServer
) -> None:
    view = MessageView()
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.load_finished, timeout=LOAD_TIMEOUT_MS):
        url = view.show_document(build_document("<p>one</p>", allow_remote=True), allow_remote=True)
    assert url.scheme() == "mailroom"
    document = f'<html><body><img src="{image_server.url}/later.png"></body></html>'
    with qtbot.waitSignal(view.load_finished, timeout=LOAD_TIMEOUT_MS):
        view.show_document(document, allow_remote=False)
    assert image_server.hits == []
    assert view.blocked_requests() == 1


# ---------------------------------------------------------------------------------------------------------------
# Inline images, header, categories, attachments


def _has_color_near(image: QImage, color: QColor) -> bool:
    for y in range(0, min(image.height(), 300), 2):
        for x in range(0, min(image.width(), 300), 2):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - color.red()) < 12
                and abs(pixel.green() - color.green()) < 12
                and (abs(pixel.blue() - color.blue()) < 12)
            ):
                return True
    return False


def test_inline_image_is_served_from_memory(qtbot: QtBot, pane: ReadingPane) -> None:
    logo = AttachmentInfo(
        "att-logo", "logo.png", 300, "image/png", is_inline=True, content_id="<logo@mailroom>"
    )
    report = AttachmentInfo("att-report", "report.pdf", 123_456, "application/pdf")
    served: list[str] = []
    pane.view.parts.served.connect(served.append)
    detail = make_detail(
        html='<p>Logo:</p><img src="cid:Logo@Mailroom" width="48" height="48">', attachments=(logo, report)
    )
    show(qtbot, pane, detail, {"logo@mailroom": png("#ff0000", 48)})
    qtbot.waitUntil(lambda: served == ["logo@mailroom"], timeout=LOAD_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: _has_color_near(pane.view.web_view().grab().toImage(), QColor("#ff0000")),
        timeout=LOAD_TIMEOUT_MS,
    )
    # The inline part is shown in the body, not listed as an attachment.
    assert [button.attachment for button in pane.attachment_buttons()] == [report]


def test_header_shows_on_behalf_recipients_and_last_changed(qtbot: QtBot, pane: ReadingPane) -> None:
    detail = make_detail(
        author=SALES,
        sender=BOB,
        to=(ALICE, Person("team@example.com")),
        cc=(CAROL,),
        last_modified_name="Carol Chen",
        sent=datetime(2026, 11, 26, 13, 5, tzinfo=UTC),
    )
    show(qtbot, pane, detail)
    assert pane.subject_label.text() == "Quarterly numbers"
    assert pane.from_label.accessibleName() == "From: Bob Baker on behalf of Sales Team"
    assert (
        plain(pane.from_label.text())
        == "Bob Baker <bob@example.com> on behalf of Sales Team <sales@example.com>"
    )
    assert plain(pane.to_label.text()).replace("\xa0", " ") == "To  Alice Archer; team@example.com"
    assert pane.to_label.accessibleName() == "To: Alice Archer <alice@example.com>; team@example.com"
    assert pane.cc_label.isVisible() and plain(pane.cc_label.text()).endswith("Carol Chen")
    assert pane.last_changed_label.isVisible()
    assert pane.last_changed_label.text() == "Last changed by Carol Chen"
    local = detail.sent.astimezone()
    assert QLocale().toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat) in (
        pane.date_label.text()
    )
    assert str(local.year) in pane.date_label.text()


def test_header_without_delegation_or_changes(qtbot: QtBot, pane: ReadingPane) -> None:
    show(qtbot, pane, make_detail(author=SALES, sender=Person("SALES@example.com", "Sales"), subject=""))
    assert "on behalf" not in plain(pane.from_label.text())
    assert pane.from_label.accessibleName() == "From: Sales Team"
    assert pane.subject_label.text() == "(no subject)"
    assert not pane.cc_label.isVisible()
    assert not pane.last_changed_label.isVisible()
    assert not pane.attachments_bar.isVisible()
    assert not pane.remote_banner.isVisible()


def test_header_text_is_never_interpreted_as_html(qtbot: QtBot, pane: ReadingPane) -> None:
    evil = Person("x@example.com", "<img src=http://evil.example/x.png> <b>Boss</b>")
    show(qtbot, pane, make_detail(author=evil, sender=evil, subject="<b>Urgent</b>"))
    assert plain(pane.from_label.text()).startswith("<img src=http://evil.example/x.png> <b>Boss</b>")
    assert pane.subject_label.text() == "<b>Urgent</b>"
    assert pane.subject_label.textFormat() == Qt.TextFormat.PlainText


def test_categories_are_coloured_chips_from_the_master_list(qtbot: QtBot, pane: ReadingPane) -> None:
    pane.set_master_categories([Category("Urgent", 0), Category("Customer", 7)])
    show(qtbot, pane, make_detail(categories=("urgent", "Customer", "Unknown")))
    styles = {chip.text(): chip.styleSheet() for chip in pane.category_chips()}
    assert list(styles) == ["urgent", "Customer", "Unknown"]
    assert "#e7434d" in styles["urgent"]
    assert "#5587e3" in styles["Customer"]
    assert "#c8c8c8" in styles["Unknown"]
    assert [chip.accessibleName() for chip in pane.category_chips()][0] == "Category urgent"
    # A new master list recolours the message shown.
    pane.set_master_categories([Category("Unknown", 4)])
    styles = {chip.text(): chip.styleSheet() for chip in pane.category_chips()}
    assert "#5fbf5c" in styles["Unknown"] and "#c8c8c8" in styles["urgent"]
    qtbot.waitUntil(lambda: all(chip.isVisible() for chip in pane.category_chips()))


def test_attachments_are_listed_and_save_as_is_requested(qtbot: QtBot, pane: ReadingPane) -> None:
    first = AttachmentInfo("att-1", "Q3 report.pdf", 1_500_000, "application/pdf")
    second = AttachmentInfo("att-2", "../../notes.txt", 512, "text/plain")
    show(qtbot, pane, make_detail(attachments=(first, second)))
    buttons = pane.attachment_buttons()
    assert [(b.name_label.text(), b.size_label.text()) for b in buttons] == [
        ("Q3 report.pdf", "1.4 MB"),
        ("../../notes.txt", "512 bytes"),
    ]
    assert all(button.accessibleName().startswith("Save attachment ") for button in buttons)
    with qtbot.waitSignal(pane.save_attachment_requested) as blocker:
        qtbot.mouseClick(buttons[1], Qt.MouseButton.LeftButton)
    assert blocker.args == [second]


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 1, 1023, 1024, 123_456, 1_500_000, 25 * 1024**3)] == [
        "0 bytes", "1 byte", "1023 bytes", "1 KB", "121 KB", "1.4 MB", "25 GB",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Links


def _click_in_body(qtbot: QtBot, pane: ReadingPane, point: QPoint, button: Qt.MouseButton) -> None:
    """Click the link block of LINK_HTML once the engine has painted it (earlier clicks hit nothing)."""
    view = pane.view.web_view()
    link_color = QColor("#eeeeff")

    def painted() -> bool:
        if view.focusProxy() is None:
            return False
        pixel = view.grab().toImage().pixelColor(point)
        return pixel.rgb() == link_color.rgb()

    qtbot.waitUntil(painted, timeout=LOAD_TIMEOUT_MS)
    qtbot.mouseClick(view.focusProxy(), button, Qt.KeyboardModifier.NoModifier, point)


LINK_HTML = (
    '<a href="https://example.com/real?x=1" style="display:block;width:500px;height:300px;background:#eeeeff">'
    "https://bank.example/login</a>"
)


def test_link_click_shows_the_real_target_and_opens_only_when_confirmed(
    qtbot: QtBot, pane: ReadingPane
) -> None:
    show(qtbot, pane, make_detail(html=LINK_HTML))
    url_before = pane.view.page().url()
    _click_in_body(qtbot, pane, QPoint(120, 120), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.link_dialog() is not None, timeout=LOAD_TIMEOUT_MS)
    dialog = pane.link_dialog()
    assert dialog is not None
    assert dialog.address.toPlainText() == "https://example.com/real?x=1"
    assert dialog.findChild(type(pane.subject_label), "linkHost").text() == "example.com"
    with qtbot.waitSignal(pane.open_link_requested) as blocker:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [QUrl("https://example.com/real?x=1")]
    assert pane.link_dialog() is None
    assert pane.view.page().url() == url_before  # the view did not navigate


def test_cancelled_link_is_not_opened(qtbot: QtBot, pane: ReadingPane) -> None:
    show(qtbot, pane, make_detail(html=LINK_HTML))
    _click_in_body(qtbot, pane, QPoint(120, 120), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.link_dialog() is not None, timeout=LOAD_TIMEOUT_MS)
    with qtbot.assertNotEmitted(pane.open_link_requested):
        pane.link_dialog().reject()
    assert pane.link_dialog() is None


def test_middle_click_on_a_link_is_confirmed_too(qtbot: QtBot, pane: ReadingPane) -> None:
    show(qtbot, pane, make_detail(html=LINK_HTML))
    _click_in_body(qtbot, pane, QPoint(120, 120), Qt.MouseButton.MiddleButton)
    qtbot.waitUntil(lambda: pane.link_dialog() is not None, timeout=LOAD_TIMEOUT_MS)
    assert pane.link_dialog().address.toPlainText() == "https://example.com/real?x=1"


def test_lookalike_host_is_shown_in_ascii(qtbot: QtBot, pane: ReadingPane) -> None:
    pane._confirm_link(QUrl("https://xn--pypal-4ve.com/login"))  # "pаypal" with a Cyrillic а
    dialog = pane.link_dialog()
    assert dialog is not None
    assert "xn--pypal-4ve.com" in dialog.findChild(type(pane.subject_label), "linkHost").text()
    dialog.reject()


# ---------------------------------------------------------------------------------------------------------------
# Plain text, clearing, stale renderings


def test_plain_text_mail_is_escaped_and_linkified(qtbot: QtBot, pane: ReadingPane) -> None:
    text = "Hi <b>Alice</b>,\n<script>document.title='pwned'</script>\nSee https://example.com/a?b=1&c=2.\n> quoted"
    show(qtbot, pane, make_detail(html=None, text=text))
    html = page_html(qtbot, pane.view)
    assert "Hi &lt;b&gt;Alice&lt;/b&gt;," in html
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in html
    assert "pwned" not in pane.view.page().title()


def test_the_last_message_shown_wins(qtbot: QtBot, pane: ReadingPane) -> None:
    pane.show_message(make_detail(item_id="a", html="<p>first message</p>"))
    show(qtbot, pane, make_detail(item_id="b", html="<p>second message</p>"))
    html = page_html(qtbot, pane.view)
    assert "second message" in html and "first message" not in html


def test_clear_shows_the_placeholder(qtbot: QtBot, pane: ReadingPane) -> None:
    show(qtbot, pane, make_detail())
    pane.clear("Select a message to read it.")
    assert pane.current() is None
    assert pane.placeholder.isVisible()
    assert pane.placeholder.text() == "Select a message to read it."


def test_controls_have_accessible_names(qtbot: QtBot, pane: ReadingPane) -> None:
    attachment = AttachmentInfo("att-1", "a.txt", 10, "text/plain")
    show(qtbot, pane, make_detail(attachments=(attachment,), html='<img src="https://x.example/a.png">'))
    for widget in (pane, pane.subject_label, pane.from_label, pane.to_label, pane.date_label,
                   pane.show_remote_button, pane.attachments_bar, pane.view.web_view(),
                   *pane.attachment_buttons()):  # fmt: skip
        assert widget.accessibleName(), widget.objectName()


# ---------------------------------------------------------------------------------------------------------------
# A realistic mail, and a picture of it


def realistic_mail(remote_base: str = "https://news.example") -> tuple[MessageDetail, dict[str, bytes]]:
    """A Send-on-Behalf reply with Outlook-style HTML, an inline logo, a tracking pixel and attachments."""
    html = f"""<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style><!--
p.MsoNormal {{ margin:0cm; font-size:11pt; font-family:"Calibri",sans-serif; }}
.signature {{ color:#5a6470; font-size:9.5pt; }}
table.totals td {{ padding:6px 12px; border-bottom:1px solid #e3e7eb; }}
--></style></head>
<body lang="EN-GB" link="#0563C1">
<div class="WordSection1">
<p class="MsoNormal">Hi Alice,</p><p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Here are the Q3 figures for the EMEA accounts, as discussed on Monday. The full report is
attached; the summary is below. Could you check the <b>renewal dates</b> before Friday?</p>
<p class="MsoNormal">&nbsp;</p>
<table class="totals" cellspacing="0" cellpadding="0" style="border-collapse:collapse;font-family:Calibri,sans-serif;font-size:10.5pt">
<tr style="background:#f3f5f7"><td><b>Region</b></td><td align="right"><b>Q2</b></td><td align="right"><b>Q3</b></td></tr>
<tr><td>Northern Europe</td><td align="right">€ 412,300</td><td align="right" style="color:#1e7e34">€ 468,900</td></tr>
<tr><td>Southern Europe</td><td align="right">€ 288,100</td><td align="right" style="color:#1e7e34">€ 301,450</td></tr>
<tr><td>Middle East</td><td align="right">€ 97,800</td><td align="right" style="color:#b42318">€ 91,200</td></tr>
</table>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Details are on the <a href="https://intranet.example.com/sales/q3">sales dashboard</a>.</p>
<p class="MsoNormal">&nbsp;</p>
<p class="MsoNormal">Best regards,<br>Bob</p>
<p class="MsoNormal">&nbsp;</p>
<table cellpadding="0" cellspacing="0"><tr>
<td style="padding-right:12px;border-right:2px solid #2b5aad"><img src="cid:logo001@mailroom" width="44" height="44" alt="Example Ltd"></td>
<td style="padding-left:12px" class="signature"><b style="color:#1f2328">Bob Baker</b><br>Account Manager, Sales Team<br>
+44 20 7946 0000 · <a href="mailto:sales@example.com">sales@example.com</a></td>
<td style="padding-left:24px"><img src="{remote_base}/banner.png" width="180" height="44" alt="Our autumn webinar"></td>
</tr></table>
<img src="{remote_base}/open.gif?u=alice" width="1" height="1">
</div></body></html>"""
    logo = QImage(44, 44, QImage.Format.Format_ARGB32)
    logo.fill(QColor("#2b5aad"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    logo.save(buffer, "PNG")
    attachments = (
        AttachmentInfo("a1", "logo.png", 1_204, "image/png", is_inline=True, content_id="logo001@mailroom"),
        AttachmentInfo("a2", "Q3 EMEA report.pdf", 1_482_113, "application/pdf"),
        AttachmentInfo("a3", "renewals.xlsx", 48_210, "application/vnd.ms-excel"),
    )
    detail = make_detail(
        subject="RE: Q3 figures for the EMEA accounts",
        html=html,
        author=SALES,
        sender=BOB,
        to=(ALICE,),
        cc=(CAROL, Person("finance@example.com", "Finance")),
        attachments=attachments,
        categories=("Customer", "Follow up"),
        last_modified_name="Carol Chen",
    )
    return detail, {"logo001@mailroom": bytes(buffer.data())}


def test_realistic_mail_renders(qtbot: QtBot, pane: ReadingPane, tmp_path: Path) -> None:
    pane.set_master_categories([Category("Customer", 7), Category("Follow up", 1)])
    detail, images = realistic_mail()
    served: list[str] = []
    pane.view.parts.served.connect(served.append)
    show(qtbot, pane, detail, images)
    qtbot.waitUntil(lambda: served == ["logo001@mailroom"], timeout=LOAD_TIMEOUT_MS)
    assert pane.blocked_count() == 2  # banner + tracking pixel
    assert [b.attachment.name for b in pane.attachment_buttons()] == ["Q3 EMEA report.pdf", "renewals.xlsx"]
    qtbot.waitUntil(
        lambda: _has_color_near(pane.view.web_view().grab().toImage(), QColor("#f3f5f7")),
        timeout=LOAD_TIMEOUT_MS,
    )
    shot = tmp_path / "reading_pane.png"
    assert pane.grab().save(str(shot))
    assert shot.stat().st_size > 10_000
