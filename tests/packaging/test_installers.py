"""The installer scripts that only run on their own platforms (CI's Windows/macOS jobs): what they promise."""

from __future__ import annotations

import re

from tests.packaging.conftest import ROOT


def _iss_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in (ROOT / "packaging/windows/mailroom.iss").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        if re.fullmatch(r"\[\w+\]", line):
            current = line[1:-1]
            continue
        sections.setdefault(current, []).append(line)
    return sections


def test_windows_installer_is_per_user_with_shortcut_uninstaller_and_optional_mailto() -> None:
    sections = _iss_sections()
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"  # no admin rights
    assert setup["DefaultDirName"].startswith("{autopf}")  # %LOCALAPPDATA%\Programs when per user
    assert setup["AppVersion"] == "{#AppVersion}"  # from the command line, never hard-coded here
    assert setup["UninstallDisplayIcon"] == r"{app}\mailroom.exe"
    assert any(line.startswith('Name: "{autoprograms}\\Mailroom"') for line in sections["Icons"])
    mailto_task = [line for line in sections["Tasks"] if line.startswith('Name: "mailto"')]
    assert mailto_task and "Flags: unchecked" in mailto_task[0]  # an option, off by default
    registry = sections["Registry"]
    assert registry and all(line.startswith("Root: HKCU;") and "Tasks: mailto" in line for line in registry)
    assert any('"URL Protocol"' in line for line in registry)


def test_linux_desktop_entry_declares_the_mailto_handler() -> None:
    text = (ROOT / "packaging/linux/mailroom.desktop").read_text(encoding="utf-8")
    assert "MimeType=x-scheme-handler/mailto;" in text.splitlines()
    assert "Exec=mailroom %u" in text.splitlines()  # %u: the link is passed as an argument
