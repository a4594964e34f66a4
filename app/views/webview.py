"""The locked-down web view that renders a mail body.

Second wall after :mod:`app.domain.sanitize` (which removes anything active and, unless asked, anything remote):

- a private, off-the-record :class:`QWebEngineProfile` (no disk cache, no cookies, no spell checker), JavaScript
  off, no plug-ins, no window opening, no local-file access, no navigation on drop;
- a Content-Security-Policy in the document itself (no scripts, frames, forms; images, styles and fonts only from
  ``cid:``/``data:``, plus http(s) when the user allowed remote content for that message);
- a :class:`RemoteContentGate` (URL request interceptor) that blocks every request except the message document,
  ``data:`` and ``cid:``; http(s) passes only for the one document the user allowed, and blocked requests are
  counted;
- the message is served from memory by a scheme handler (``mailroom:message/<n>``; no 2 MB ``setHtml`` limit) and
  inline images by another (``cid:<content-id>``);
- a :class:`MessagePage` that refuses every navigation away from the message and reports link clicks instead, so
  that the pane can show the real target and let the system browser open it.

:func:`register_schemes` must run before the QApplication exists (``app.__main__`` and ``tests/conftest.py``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QContextMenuEvent
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QMenu, QVBoxLayout, QWidget

from app.domain.sanitize import BLOCKED_IMAGE, normalize_cid

_log = logging.getLogger(__name__)

MESSAGE_SCHEME = "mailroom"
CID_SCHEME = "cid"
_ALWAYS_ALLOWED_SCHEMES = frozenset({MESSAGE_SCHEME, CID_SCHEME, "data"})
_REMOTE_SCHEMES = frozenset({"http", "https"})


def register_schemes() -> None:
    """Register the ``mailroom:`` and ``cid:`` URL schemes with QtWebEngine (idempotent).

    Raises:
        RuntimeError: The QApplication already exists (Qt ignores registrations made after that).
    """
    pending = [
        name
        for name in (MESSAGE_SCHEME, CID_SCHEME)
        if QWebEngineUrlScheme.schemeByName(QByteArray(name.encode())).name().data() != name.encode()
    ]
    if not pending:
        return
    if QApplication.instance() is not None:
        raise RuntimeError("register_schemes() must be called before the QApplication is created")
    for name in pending:
        scheme = QWebEngineUrlScheme(QByteArray(name.encode()))
        scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
        # Neither local (local content may not load the http(s) images the user allowed) nor secure (http images
        # would then be "mixed content"). cid: answers CORS requests (fonts are fetched in CORS mode).
        flags = QWebEngineUrlScheme.Flag.CorsEnabled if name == CID_SCHEME else QWebEngineUrlScheme.Flag(0)
        scheme.setFlags(flags)
        QWebEngineUrlScheme.registerScheme(scheme)


# ---------------------------------------------------------------------------------------------------------------
# The document

_BASE_CSS = f"""
:root {{ color-scheme: light; }}
html, body {{ margin: 0; padding: 0; background: #ffffff; }}
body {{
  font-family: "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
  font-size: 14px; line-height: 1.45; color: #1f2328; overflow-wrap: break-word;
}}
.mr-body {{ padding: 18px 24px 28px; min-height: 100vh; box-sizing: border-box; }}
.mr-plain {{ font: inherit; margin: 0; padding: 18px 24px 28px; }}
.mr-quote {{ color: #59636e; }}
a {{ color: #0b62c4; }}
pre {{ white-space: pre-wrap; }}
blockquote[type="cite"] {{ margin: 0 0 0 4px; padding-left: 12px; border-left: 3px solid #d0d7de; color: #424a53; }}
img[src="{BLOCKED_IMAGE}"] {{ background: #eef1f4; box-shadow: inset 0 0 0 1px #dde2e7; }}
img[src="{BLOCKED_IMAGE}"][width="0"], img[src="{BLOCKED_IMAGE}"][width="1"],
img[src="{BLOCKED_IMAGE}"][height="0"], img[src="{BLOCKED_IMAGE}"][height="1"] {{ display: none; }}
"""


def build_document(fragment: str, *, allow_remote: bool) -> str:
    """Wrap a sanitised body fragment in the document the view loads (CSP, base style sheet).

    Args:
        fragment: Output of ``sanitize_html(...).html`` or ``text_to_html(...)``.
        allow_remote: The user allowed remote content for this message (the CSP then allows http(s)).
    """
    remote = " http: https:" if allow_remote else ""
    policy = (
        "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; child-src 'none'; "
        "worker-src 'none'; connect-src 'none'; media-src 'none'; form-action 'none'; base-uri 'none'; "
        f"img-src cid: data:{remote}; style-src 'unsafe-inline'{remote}; font-src cid: data:{remote}"
    )
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="color-scheme" content="light">'
        f"<style>{_BASE_CSS}</style>"
        f"</head><body>{fragment}</body></html>"
    )


# ---------------------------------------------------------------------------------------------------------------
# Scheme handlers and the interceptor


def _reply(job: QWebEngineUrlRequestJob, content_type: str, data: bytes) -> None:
    buffer = QBuffer(job)  # owned by the job: lives exactly as long as the engine reads from it
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    job.reply(QByteArray(content_type.encode("ascii")), buffer)


class MessageSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves the current message document at ``mailroom:message/<n>`` from memory."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = ""
        self._document = b""

    def set_document(self, path: str, document: str) -> None:
        self._path = path
        self._document = document.encode("utf-8")

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        if job.requestMethod().data() != b"GET" or not self._path or job.requestUrl().path() != self._path:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        _reply(job, "text/html", self._document)


@dataclass(frozen=True)
class InlineImage:
    """One inline part served at ``cid:<content-id>``."""

    content: bytes
    content_type: str


class CidSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves the current message's inline parts at ``cid:<content-id>`` from memory.

    Signals:
        served(str): A part was delivered (its normalised Content-ID).
        missing(str): The message asked for a part that is not there.
    """

    served = Signal(str)
    missing = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._parts: dict[str, InlineImage] = {}

    def set_parts(self, parts: Mapping[str, InlineImage]) -> None:
        self._parts = {normalize_cid(cid): part for cid, part in parts.items()}

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        cid = normalize_cid(job.requestUrl().path())
        part = self._parts.get(cid)
        if job.requestMethod().data() != b"GET" or part is None:
            self.missing.emit(cid)
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        # Only images are served as what they claim to be; anything else is opaque bytes.
        content_type = (
            part.content_type if part.content_type.startswith("image/") else "application/octet-stream"
        )
        _reply(job, content_type, part.content)
        self.served.emit(cid)


class RemoteContentGate(QWebEngineUrlRequestInterceptor):
    """Blocks every request but the message, ``data:`` and ``cid:``; http(s) only where the user allowed it.

    Signals:
        blocked(QUrl, QUrl): A request was refused (its URL, and the document that made it).
    """

    blocked = Signal(QUrl, QUrl)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._remote_allowed_for = ""  # the one document URL whose http(s) requests may pass

    def allow_remote_for(self, document_url: QUrl | None) -> None:
        self._remote_allowed_for = document_url.toString() if document_url is not None else ""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt override)
        url = info.requestUrl()
        scheme = url.scheme().lower()
        if scheme in _ALWAYS_ALLOWED_SCHEMES:
            return
        if (
            scheme in _REMOTE_SCHEMES
            and self._remote_allowed_for
            and info.firstPartyUrl().toString() == self._remote_allowed_for
        ):
            info.setHttpHeader(QByteArray(b"Referer"), QByteArray(b""))
            return
        info.block(True)
        self.blocked.emit(url, info.firstPartyUrl())


# ---------------------------------------------------------------------------------------------------------------
# Page and view


def _without_fragment(url: QUrl) -> str:
    return url.toString().split("#", 1)[0]


class MessagePage(QWebEnginePage):
    """A page that never leaves the message: link clicks are reported, not followed.

    Signals:
        link_clicked(QUrl): The user activated a link (left click, middle click, "open in new window").
    """

    link_clicked = Signal(QUrl)

    def acceptNavigationRequest(  # noqa: N802 (Qt override)
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if url.scheme() == MESSAGE_SCHEME:
            if nav_type != QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
                return True  # our own load() of the message
            # An in-message anchor (#section) stays; a relative link that resolved into our scheme goes nowhere.
            return _without_fragment(url) == _without_fragment(self.url())
        if nav_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            self.link_clicked.emit(url)
        return False

    def javaScriptConsoleMessage(  # noqa: N802 (Qt override)
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str
    ) -> None:
        # No script runs here; what arrives is the engine reporting what the CSP refused. Not for the user.
        _log.debug("message view: %s (%s:%d)", message, source, line)

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage:  # noqa: N802 (Qt override)
        # Middle click, Ctrl+click, target=_blank: the engine wants a new page to navigate. Give it one that
        # reports the link like a normal click and goes away.
        return _NewWindowCatcher(self)


class _NewWindowCatcher(QWebEnginePage):
    def __init__(self, origin: MessagePage) -> None:
        super().__init__(origin.profile(), origin)
        self._origin = origin

    def acceptNavigationRequest(  # noqa: N802 (Qt override)
        self, url: QUrl | str, _nav_type: QWebEnginePage.NavigationType, _is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if url.scheme() not in ("about", ""):
            self._origin.link_clicked.emit(url)
            self.deleteLater()
        return False


class _WebView(QWebEngineView):
    """The engine's view with a short context menu (no "open in new window", "save", "inspect", "back")."""

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 (Qt override)
        page = self.page()
        request = self.lastContextMenuRequest()
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        actions = [QWebEnginePage.WebAction.Copy]
        if request is not None and request.linkUrl().isValid():
            actions.append(QWebEnginePage.WebAction.CopyLinkToClipboard)
        if request is not None and request.mediaType() == request.MediaType.MediaTypeImage:
            actions.append(QWebEnginePage.WebAction.CopyImageToClipboard)
        actions.append(QWebEnginePage.WebAction.SelectAll)
        for action in actions:
            menu.addAction(page.action(action))
        menu.popup(event.globalPos())


_SETTINGS_OFF = (
    QWebEngineSettings.WebAttribute.JavascriptEnabled,
    QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows,
    QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard,
    QWebEngineSettings.WebAttribute.JavascriptCanPaste,
    QWebEngineSettings.WebAttribute.AllowWindowActivationFromJavaScript,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls,
    QWebEngineSettings.WebAttribute.LocalStorageEnabled,
    QWebEngineSettings.WebAttribute.PluginsEnabled,
    QWebEngineSettings.WebAttribute.PdfViewerEnabled,
    QWebEngineSettings.WebAttribute.WebGLEnabled,
    QWebEngineSettings.WebAttribute.Accelerated2dCanvasEnabled,
    QWebEngineSettings.WebAttribute.ReadingFromCanvasEnabled,
    QWebEngineSettings.WebAttribute.ScreenCaptureEnabled,
    QWebEngineSettings.WebAttribute.FullScreenSupportEnabled,
    QWebEngineSettings.WebAttribute.HyperlinkAuditingEnabled,
    QWebEngineSettings.WebAttribute.DnsPrefetchEnabled,
    QWebEngineSettings.WebAttribute.NavigateOnDropEnabled,
    QWebEngineSettings.WebAttribute.AutoLoadIconsForPage,
    QWebEngineSettings.WebAttribute.TouchIconsEnabled,
    QWebEngineSettings.WebAttribute.AllowRunningInsecureContent,
    QWebEngineSettings.WebAttribute.AllowGeolocationOnInsecureOrigins,
    QWebEngineSettings.WebAttribute.ErrorPageEnabled,
    QWebEngineSettings.WebAttribute.FocusOnNavigationEnabled,
)
_SETTINGS_ON = (
    QWebEngineSettings.WebAttribute.AutoLoadImages,  # only what the gate lets through: cid:, data:, allowed http
    QWebEngineSettings.WebAttribute.PlaybackRequiresUserGesture,
    QWebEngineSettings.WebAttribute.WebRTCPublicInterfacesOnly,
    QWebEngineSettings.WebAttribute.LinksIncludedInFocusChain,
)


class MessageView(QWidget):
    """Shows one message document at a time in a locked-down QWebEngineView.

    Signals:
        link_clicked(QUrl): The user clicked a link (nothing was opened).
        load_finished(bool): The current document finished loading (ok).
        remote_blocked(int): The gate refused remote requests of the current document (running total).
    """

    link_clicked = Signal(QUrl)
    load_finished = Signal(bool)
    remote_blocked = Signal(int)

    _serials = itertools.count(1)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Creation order matters: children are destroyed in creation order, and the page (a child of the view)
        # must be gone before its profile, else QtWebEngine warns "Release of profile requested but WebEnginePage
        # still not deleted".
        self._view = _WebView(self)
        self._view.setObjectName("messageBody")
        self._view.setAccessibleName("Message body")
        self._profile = QWebEngineProfile(self)  # no storage name: off the record
        self._profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self._profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        self._profile.setSpellCheckEnabled(False)
        self._profile.downloadRequested.connect(self._refuse_download)
        settings = self._profile.settings()
        for attribute in _SETTINGS_OFF:
            settings.setAttribute(attribute, False)
        for attribute in _SETTINGS_ON:
            settings.setAttribute(attribute, True)

        self.gate = RemoteContentGate(self)
        self.documents = MessageSchemeHandler(self)
        self.parts = CidSchemeHandler(self)
        self._profile.setUrlRequestInterceptor(self.gate)
        self._profile.installUrlSchemeHandler(QByteArray(MESSAGE_SCHEME.encode()), self.documents)
        self._profile.installUrlSchemeHandler(QByteArray(CID_SCHEME.encode()), self.parts)

        self._page = MessagePage(self._profile, self._view)
        self._page.setBackgroundColor(QColor("#ffffff"))
        self._view.setPage(self._page)
        self._page.link_clicked.connect(self.link_clicked)
        self._page.loadFinished.connect(self._on_load_finished)
        self.gate.blocked.connect(self._on_blocked)
        layout.addWidget(self._view)

        self._document_url = QUrl()
        self._blocked = 0
        self._blank = False  # the empty page is loaded (clearing again would only cost a page load)
        self.setFocusProxy(self._view)

    # -- public API --------------------------------------------------------------------------------------------
    def page(self) -> MessagePage:
        return self._page

    def profile(self) -> QWebEngineProfile:
        return self._profile

    def web_view(self) -> QWebEngineView:
        return self._view

    def document_url(self) -> QUrl:
        return QUrl(self._document_url)

    def blocked_requests(self) -> int:
        """Requests of the current document the gate refused."""
        return self._blocked

    def show_document(
        self, document: str, *, allow_remote: bool, parts: Mapping[str, InlineImage] | None = None
    ) -> QUrl:
        """Load a complete HTML document (see :func:`build_document`); returns the URL it is served at."""
        path = f"message/{next(self._serials)}"
        url = QUrl(f"{MESSAGE_SCHEME}:{path}")
        self._document_url = url
        self._blocked = 0
        self._blank = False
        self.parts.set_parts(parts or {})
        self.documents.set_document(path, document)
        self.gate.allow_remote_for(url if allow_remote else None)
        self._page.load(url)
        return url

    def clear(self) -> None:
        """Show an empty page and drop the document and its parts from memory."""
        if self._blank:
            return
        self._blank = True
        self._document_url = QUrl()
        self._blocked = 0
        self.gate.allow_remote_for(None)
        self.parts.set_parts({})
        self.documents.set_document("blank", build_document("", allow_remote=False))
        self._page.load(QUrl(f"{MESSAGE_SCHEME}:blank"))

    # -- internals ---------------------------------------------------------------------------------------------
    def _on_load_finished(self, ok: bool) -> None:
        if _without_fragment(self._page.url()) == self._document_url.toString():
            self.load_finished.emit(ok)

    def _on_blocked(self, url: QUrl, first_party: QUrl) -> None:
        if first_party == self._document_url and url.scheme().lower() in _REMOTE_SCHEMES:
            self._blocked += 1
            self.remote_blocked.emit(self._blocked)

    @staticmethod
    def _refuse_download(download: QWebEngineDownloadRequest) -> None:
        download.cancel()
