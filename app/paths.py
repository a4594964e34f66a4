"""Where Mailroom's files are: bundled resources (icons, style sheets, demo-tenant data)."""

from __future__ import annotations

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
