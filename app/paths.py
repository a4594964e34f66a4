"""Where Mailroom's files are (bundled resources: icons, style sheets, demo-tenant data), and the command that
starts this Mailroom, for hints printed to the user."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The top-level ``resources/`` folder.

    It sits next to the ``app`` package in the source tree, in an editable install and in site-packages
    (it is installed as a data package), and under ``sys._MEIPASS`` in a PyInstaller bundle.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def icon_path(name: str) -> Path:
    """Path of an icon in ``resources/icons`` (``name`` with its extension)."""
    return resources_dir() / "icons" / name


def launch_command() -> str:
    """The command that starts this Mailroom, as a hint to type: ``mailroom`` (the installed script or a frozen
    build), else this interpreter with ``-m app``: ``.venv/bin/python -m app`` relative to the current folder
    when it lies below it (as the README has it), ``python3 -m app`` when ``python3`` on the PATH is this very
    interpreter, else its full path. Never a bare ``python``, which a fresh Debian does not have.
    """
    if getattr(sys, "frozen", False) or Path(sys.argv[0] if sys.argv else "").name == "mailroom":
        return "mailroom"
    interpreter = os.path.abspath(sys.executable) if sys.executable else ""
    if not interpreter:
        return "python3 -m app"
    found = shutil.which("python3")
    if found and os.path.abspath(found) == interpreter:
        return "python3 -m app"
    here = os.path.abspath(os.getcwd())
    if interpreter.startswith(here + os.sep):
        return f"{shlex.quote(os.path.relpath(interpreter, here))} -m app"
    return f"{shlex.quote(interpreter)} -m app"

