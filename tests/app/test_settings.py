"""app.settings: declared settings, JSON round trip, atomic writes, malformed files, no secrets."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from app import settings as s
from app.settings import (
    ACCOUNTS,
    LAST_ACCOUNT,
    LAST_FOLDER,
    LAST_MAILBOX,
    MARK_READ_DELAY_MS,
    POLL_INTERVAL_S,
    REMEMBER_PASSWORD,
    SETTINGS,
    AccountSettings,
    LastAccount,
    Settings,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def test_every_setting_is_declared_once_with_a_label_and_a_default_of_its_type() -> None:
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert setting.label
        assert setting.default is None or isinstance(setting.default, setting.type), setting.name
    assert {"last_account", "remember_password", "accounts", "last_mailbox", "last_folder",
            "mark_read_delay_ms", "poll_interval_s"} <= set(names)


def test_defaults_when_there_is_no_file(path: Path) -> None:
    settings = Settings.load(path)
    assert settings.warnings == []
    assert settings[MARK_READ_DELAY_MS] == 1500
    assert settings[LAST_ACCOUNT] is None
    assert settings[REMEMBER_PASSWORD] is True
    assert settings[ACCOUNTS] == {}
    assert settings.account("alice@example.com") == AccountSettings()
    assert not path.exists(), "loading never writes"


def test_default_path_is_in_the_platform_config_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert s.default_path() == tmp_path / "xdg" / "Mailroom" / "settings.json"


def test_round_trip(path: Path) -> None:
    settings = Settings.load(path)
    settings.set(LAST_ACCOUNT, LastAccount("Alice@Example.com", "mail.example.com", "ntlm"))
    settings.set(REMEMBER_PASSWORD, False)
    settings.set(MARK_READ_DELAY_MS, 0)
    settings.set(POLL_INTERVAL_S, 120)
    settings.set(LAST_MAILBOX, "support@example.com")
    settings.set(LAST_FOLDER, "AAMkAD…=")
    settings.update_account("Alice@Example.com", added_mailboxes=("sales@example.com", "billing@example.com"))
    settings.update_account("alice@example.com", removed_automapped=("support@example.com",))
    settings.trust_fingerprint("Mail.Example.com", "ab:cd")
    settings.save()

    again = Settings.load(path)
    assert again.warnings == []
    assert again[LAST_ACCOUNT] == LastAccount("Alice@Example.com", "mail.example.com", "ntlm")
    assert again[REMEMBER_PASSWORD] is False
    assert again[MARK_READ_DELAY_MS] == 0
    assert again[POLL_INTERVAL_S] == 120
    assert (again[LAST_MAILBOX], again[LAST_FOLDER]) == ("support@example.com", "AAMkAD…=")
    assert again.account("ALICE@example.com") == AccountSettings(
        ("sales@example.com", "billing@example.com"), ("support@example.com",)
    )
    assert again.trusted_fingerprint("mail.example.com") == "AB:CD"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["accounts"] == {"alice@example.com": {"added_mailboxes": ["sales@example.com",
                                                                           "billing@example.com"],
                                                      "removed_automapped": ["support@example.com"]}}


def test_save_is_atomic_and_leaves_no_temporary_files(path: Path, monkeypatch) -> None:
    settings = Settings.load(path)
    settings.save()
    before = path.read_text(encoding="utf-8")
    settings.set(MARK_READ_DELAY_MS, 42)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        settings.save()
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == before, "a failed save leaves the old file intact"
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]
    settings.save()
    assert Settings.load(path)[MARK_READ_DELAY_MS] == 42


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff\xfe garbage"])
def test_malformed_file_gives_defaults_a_warning_and_is_kept_as_bad(path: Path, content: str, caplog) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        settings = Settings.load(path)
    assert settings[MARK_READ_DELAY_MS] == 1500
    assert len(settings.warnings) == 1
    warning = settings.warnings[0]
    assert "default settings" in warning and str(path) in warning and "settings.json.bad" in warning
    assert warning in caplog.text
    assert not path.exists()
    assert path.with_name("settings.json.bad").read_bytes() == content.encode("latin-1")
    settings.save()
    assert Settings.load(path).warnings == []


def test_one_bad_value_falls_back_to_its_default_and_keeps_the_others(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "mark_read_delay_ms": "soon",
        "poll_interval_s": 90,
        "last_account": {"address": "bob@example.com", "server": "", "auth": "kerberos"},
        "remember_password": 1,
        "unknown_future_setting": True,
    }), encoding="utf-8")
    settings = Settings.load(path)
    assert settings[MARK_READ_DELAY_MS] == 1500
    assert settings[POLL_INTERVAL_S] == 90
    assert settings[LAST_ACCOUNT] is None
    assert settings[REMEMBER_PASSWORD] is True
    assert len(settings.warnings) == 3
    assert any("mark_read_delay_ms" in w for w in settings.warnings)
    assert path.exists(), "a file with a bad value is not set aside"


def test_set_checks_the_declared_type(path: Path) -> None:
    settings = Settings.load(path)
    with pytest.raises(ValueError):
        settings.set(MARK_READ_DELAY_MS, "1500")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        settings.set(POLL_INTERVAL_S, 1)
    with pytest.raises(KeyError):
        settings["password"]
    assert settings[MARK_READ_DELAY_MS] == 1500


def test_a_password_can_never_be_written(path: Path) -> None:
    settings = Settings.load(path)
    with pytest.raises(ValueError):  # LastAccount has no room for one
        settings.set(LAST_ACCOUNT, {"address": "a@example.com", "password": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keyring"):
        s._refuse_secrets({"last_account": {"address": "a@example.com", "password": "x"}})
    # An address that merely contains the word is fine.
    settings.update_account("secretary@example.com", added_mailboxes=("tokens@example.com",))
    settings.save()
    assert "secretary@example.com" in path.read_text(encoding="utf-8")
