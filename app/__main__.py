"""Entry point of ``python -m app [--demo] [--user alice] [--screenshot PATH]`` and of ``mailroom``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__, logs
from app.crash import CrashHandler
from app.domain.mailbox import AuthMethod
from app.domain.mailto import is_mailto
from app.paths import launch_command

log = logging.getLogger("app")


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
    parser.add_argument("--debug", action="store_true", help="log debug output to the log file (Mailroom's) "
                        "and the console (also exchangelib's SOAP traffic, which never goes to the file)")
    parser.add_argument("--selftest", action="store_true",
                        help="check this installation offscreen against the bundled emulator, then exit (0: fine)")
    parser.add_argument("--quit-after-first-window", action="store_true",
                        help="print 'first window after N ms' (from process start) once the window shows, and exit")
    parser.add_argument("--new-instance", action="store_true",
                        help="start even if Mailroom is running already (by default the running one is raised)")
    parser.add_argument("links", nargs="*", metavar="MAILTO",
                        help="mailto: links to open as new messages (e.g. mailto:someone@example.com?subject=Hi)")
    args = parser.parse_args(argv)
    for link in args.links:
        if not is_mailto(link):
            parser.error(f"not a mailto: link: {link!r}")
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
                f"or take a screenshot instead: {launch_command()} --demo --screenshot mailroom.png"
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


def single_instance_applies(args: argparse.Namespace) -> bool:
    """Whether this run joins the one-per-user rule (not for screenshots, self-tests, benchmarks, set-password)."""
    return not (args.new_instance or args.set_password or args.selftest or args.quit_after_first_window
                or args.screenshot is not None or args.screenshot_dialog)


def main(argv: Sequence[str] | None = None) -> int:
    """Run Mailroom; returns the process exit code."""
    args = parse_args(argv)
    log_setup = logs.setup(debug=args.debug)
    crash = CrashHandler(logs.log_dir())
    crash.install()
    log.info("Mailroom %s starting (Python %s, %s)", __version__, sys.version.split()[0], sys.platform)
    code = _run(args, crash)  # an exception goes on to the crash handler, with the log still open
    log_setup.close()
    return code


def _run(args: argparse.Namespace, crash: CrashHandler) -> int:
    if args.set_password:
        return _store_password(args.user)
    if args.selftest:
        from app import selftest  # written for the bundle: starts its own emulator and window offscreen

        return selftest.main()

    instance_name = ""
    if single_instance_applies(args):
        from app import single_instance

        instance_name = single_instance.server_name()
        if single_instance.forward(instance_name, args.links):
            print("mailroom: passed to the running Mailroom", flush=True)
            return 0

    quiet = args.screenshot is not None or bool(args.screenshot_dialog) or args.quit_after_first_window
    problem = prepare_environment(headless_ok=quiet)
    if problem:
        print(f"mailroom: {problem}", file=sys.stderr)
        return 2
    from app.launch import run_gui

    return run_gui(args, crash, instance_name, dialogs=not quiet)


if __name__ == "__main__":
    sys.exit(main())
