"""Quirks: deliberate non-Exchange answer shapes, off unless asked for, named where users can find them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ews_emulator.__main__ import build_parser
from ews_emulator.quirks import Quirk, Quirks

README = Path(__file__).resolve().parents[2] / "README.md"


def test_no_quirk_is_on_unless_asked_for() -> None:
    assert not Quirks()
    assert not any(Quirks().on(quirk) for quirk in Quirk)
    only = Quirks(["no-body-search"])
    assert only.on(Quirk.NO_BODY_SEARCH) and not only.on(Quirk.NO_STREAMING)


def test_an_unknown_quirk_is_refused() -> None:
    with pytest.raises(ValueError):
        Quirks(["no-such-quirk"])


def test_the_command_line_takes_each_quirk_and_refuses_others(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["--quirk", "no-streaming", "--quirk", "no-body-search"])
    assert args.quirk == ["no-streaming", "no-body-search"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--quirk", "no-such-quirk"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_readme_names_every_quirk() -> None:
    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `--quirk"))
    missing = [quirk.value for quirk in Quirk if f"`{quirk.value}`" not in row]
    assert not missing, f"README's --quirk row does not name {missing}"
