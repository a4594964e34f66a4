"""Entry point of ``python -m app [--demo] [--user alice] [--screenshot PATH]`` and of ``mailroom``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.domain.mailbox import AuthMethod


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="mailroom", description="Mailroom: a desktop client for Exchange shared mailboxes."
    )
    parser.add_argument("--version", action="version", version=f"Mailroom {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="start the local Exchange emulator in-process and sign in to it"
    )
    parser.add_argument(
        "--user",
        default=None,
        help="demo user (alice, bob, carol, dave; default alice), or your logon name with --ews-url",
    )
    parser.add_argument(
        "--ews-url", help="server (host name or EWS endpoint) to sign in to as --user, with the password from "
        "the keyring; without it Mailroom signs in to the last account or asks"
    )
    parser.add_argument("--mailbox", default="", help="address of a mailbox whose Inbox to open first")
    parser.add_argument("--auth", choices=[m.value for m in AuthMethod], default=None,
                        help="authentication with --ews-url (default: what the server offers)")
    parser.add_argument(
        "--set-password",
        action="store_true",
        help="ask for the password of --user and store it in the system keyring, then exit",
    )
    parser.add_argument(
        "--screenshot", type=Path, metavar="PATH",
        help="save the window as PNG once a message is shown (demo: support@'s Inbox), then exit"
    )
    parser.add_argument(
        "--screenshot-dialog", nargs=2, metavar=("NAME", "PATH"),
        help="save a dialog as PNG once it shows its data (demo: of support@'s Inbox), then exit; NAME is one "
        "of: " + ", ".join(sorted(_dialog_names()))
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="with --screenshot: give up after this"
    )
    parser.add_argument("--debug", action="store_true", help="log debug output (including exchangelib's)")
    args = parser.parse_args(argv)
    if args.user is None:
        args.user = "alice" if args.demo else ""
    if args.ews_url and args.demo:
        parser.error("--demo and --ews-url exclude each other")
    if (args.ews_url or args.set_password) and not args.user:
        parser.error("--user is required with --ews-url and --set-password")
    if args.screenshot_dialog:
        if args.screenshot_dialog[0] not in _dialog_names():
            parser.error(f"--screenshot-dialog: no dialog named {args.screenshot_dialog[0]!r}")
        if args.screenshot is not None:
            parser.error("--screenshot and --screenshot-dialog exclude each other")
    return args


def _dialog_names() -> list[str]:
    from app.screenshot import DIALOGS  # Qt is imported lazily everywhere else, but this is only names

    return list(DIALOGS)


def prepare_environment(*, headless_ok: bool) -> str | None:
    """Set the Qt environment before any QApplication exists.

    Args:
        headless_ok: Without a display, fall back to the offscreen platform (screenshots need no screen).

    Returns:
        An error message when no window can be shown, else ``None``.
    """
    # QtWebEngine (later, for HTML mail) refuses to run as root without this; CI and these machines are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and not has_display and not os.environ.get("QT_QPA_PLATFORM"):
        if headless_ok:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        else:
            return (
                "No display found (DISPLAY and WAYLAND_DISPLAY are unset), so no window can be shown.\n"
                "Run it under a virtual screen (apt-get install xvfb; xvfb-run -a make demo), "
                "or take a screenshot instead: python -m app --demo --screenshot mailroom.png"
            )
    return None


def _store_password(user: str) -> int:
    from app import secrets
    from app.domain.errors import MailroomError

    password = getpass.getpass(f"Password for {user}: ")
    try:
        secrets.set_password(user, password)
    except MailroomError as error:
        print(f"mailroom: {error}", file=sys.stderr)
        return 1
    print(f"Password for {user} stored in the system keyring.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run Mailroom; returns the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.set_password:
        return _store_password(args.user)

    problem = prepare_environment(headless_ok=args.screenshot is not None or bool(args.screenshot_dialog))
    if problem:
        print(f"mailroom: {problem}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTimer

    # QtWebEngine (the reading pane) needs shared GL contexts and its URL schemes before the QApplication.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    from PySide6.QtWidgets import QApplication

    from app.views.webview import register_schemes

    register_schemes()

    from app.application import MailroomApp, Options
    from app.screenshot import DialogScreenshot, ScreenshotWhenReady

    if QLocale.system().name() == "C":
        # No locale configured (a bare container or CI): show dates as people read them, not "25 11 2026".
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    qt_app = QApplication(sys.argv[:1])
    qt_app.setApplicationName("Mailroom")
    qt_app.setApplicationVersion(__version__)
    qt_app.setDesktopFileName("mailroom")

    options = Options(
        demo=args.demo,
        user=args.user,
        ews_url=args.ews_url,
        mailbox=args.mailbox or ("support@example.com" if args.demo and args.screenshot_dialog else ""),
        auth=AuthMethod(args.auth) if args.auth else None,
        screenshot=args.screenshot,
        timeout_s=args.timeout,
    )
    app = MailroomApp(options)
    app.window.closed.connect(qt_app.quit)
    if options.screenshot is not None:
        shooter = ScreenshotWhenReady(app.window, options.screenshot, options.timeout_s, parent=app.window)
        app.window.message_shown.connect(shooter.capture)
        app.failed.connect(shooter.fail)
    if args.screenshot_dialog:
        name, path = args.screenshot_dialog
        dialog_shooter = DialogScreenshot(app.window, name, Path(path), options.timeout_s, parent=app.window)
        app.window.folder_opened.connect(dialog_shooter.start)
        app.failed.connect(dialog_shooter.fail)
    QTimer.singleShot(0, app.start)  # inside the event loop, so an early failure can already quit it
    code = qt_app.exec()
    if not app.shutdown(timeout_ms=5000):
        # A worker is stuck in a network call (exchangelib's timeout is 120 s): do not hang on exit.
        print("mailroom: background work did not stop in time; exiting anyway", file=sys.stderr, flush=True)
        os._exit(code or 1)
    return code


if __name__ == "__main__":
    sys.exit(main())
