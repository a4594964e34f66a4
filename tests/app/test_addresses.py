"""Recipient fields read the same on every Python build: with ``email.utils`` lenient (3.11 before the
CVE-2023-27043 fix) and strict (3.12+, Debian's 3.11.2), no recipient is lost and a bad entry is named.

The strict build is simulated by monkeypatching ``email.utils.getaddresses``/``parseaddr`` (and any name an
``app`` module imported from it): ``strict=True`` where this Python has it, else the same rule written out (the
fixed CPython answers ``[("", "")]`` when the number of addresses parsed differs from the number of commas + 1).
"""

from __future__ import annotations

import email.utils
import functools
import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest

from app.domain.addresses import format_recipient, invalid_recipients, parse_recipient, recipient_entries

_LENIENT_GETADDRESSES = email.utils.getaddresses
_LENIENT_PARSEADDR = email.utils.parseaddr


def _without_quoted_names(value: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', "", value)


def strict_getaddresses() -> Callable[..., list[tuple[str, str]]]:
    """``getaddresses`` as a build with the CVE-2023-27043 fix answers."""
    if "strict" in inspect.signature(_LENIENT_GETADDRESSES).parameters:
        return functools.partial(_LENIENT_GETADDRESSES, strict=True)

    def getaddresses(fieldvalues: Any) -> list[tuple[str, str]]:
        values = [str(v) for v in fieldvalues]
        result = _LENIENT_GETADDRESSES(values)
        expected = sum(1 + _without_quoted_names(v).count(",") for v in values)
        return result if len(result) == expected else [("", "")]

    return getaddresses


def strict_parseaddr() -> Callable[..., tuple[str, str]]:
    if "strict" in inspect.signature(_LENIENT_PARSEADDR).parameters:
        return functools.partial(_LENIENT_PARSEADDR, strict=True)

    def parseaddr(addr: Any) -> tuple[str, str]:
        found = strict_getaddresses()([addr])
        return found[0] if len(found) == 1 else ("", "")

    return parseaddr


@pytest.fixture(params=["lenient", "strict"])
def email_build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """This Python's ``email.utils`` as a lenient or a strict build has it, wherever ``app`` holds a reference."""
    if request.param == "strict":
        replacements = {_LENIENT_GETADDRESSES: strict_getaddresses(), _LENIENT_PARSEADDR: strict_parseaddr()}
        monkeypatch.setattr(email.utils, "getaddresses", replacements[_LENIENT_GETADDRESSES])
        monkeypatch.setattr(email.utils, "parseaddr", replacements[_LENIENT_PARSEADDR])
        for name, module in list(sys.modules.items()):
            if name == "app" or name.startswith("app."):
                for attribute, value in list(vars(module).items()):
                    if any(value is original for original in replacements):
                        monkeypatch.setattr(module, attribute, replacements[value])
    return str(request.param)


def test_the_strict_simulation_is_strict() -> None:
    """The fixture's strict build really drops a recipient with a trailing separator (else the tests below prove
    nothing). This machine's own build may be either: Debian's 3.11.2 is strict by default."""
    assert strict_getaddresses()(["bob@example.com,"]) == [("", "")]
    if "strict" in inspect.signature(_LENIENT_GETADDRESSES).parameters:
        assert _LENIENT_GETADDRESSES(["bob@example.com,"], strict=False) == [("", "bob@example.com")]


@pytest.mark.parametrize(("typed", "entries"), [
    ("bob@example.com;", ["bob@example.com"]),
    ("bob@example.com,", ["bob@example.com"]),
    ("Bob Baker <bob@example.com>; carol@example.com,", ["Bob Baker <bob@example.com>", "carol@example.com"]),
    ("bob@example.com; carol@example.com", ["bob@example.com", "carol@example.com"]),
    ('"Baker, Bob" <bob@example.com>, carol@example.com', ['"Baker, Bob" <bob@example.com>', "carol@example.com"]),
    ('"Baker; Bob" <bob@example.com>;', ['"Baker; Bob" <bob@example.com>']),
    ("a@example.com;;b@example.com, ,c@example.com;", ["a@example.com", "b@example.com", "c@example.com"]),
    ("<bob@example.com>", ["bob@example.com"]),
    ("bob@example.com (Bob Baker)", ["Bob Baker <bob@example.com>"]),
    ("Zoë O'Brien <zoe@example.com>;", ["Zoë O'Brien <zoe@example.com>"]),
    ('"Ann \\"the boss\\" Lee" <ann@example.com>', ['"Ann \\"the boss\\" Lee" <ann@example.com>']),
    (" ; , ", []),
])
def test_every_recipient_is_kept_on_every_build(email_build: str, typed: str, entries: list[str]) -> None:
    assert recipient_entries(typed) == entries
    assert recipient_entries(typed) == entries
    assert invalid_recipients(entries) == []
    # What the send path does with each entry (app.ews.compose: parseaddr per entry) reads it the same way.
    for entry in entries:
        assert email.utils.parseaddr(entry) == parse_recipient(entry), (email_build, entry)


@pytest.mark.parametrize(("typed", "entries", "bad"), [
    ("Bob", ["Bob"], ["Bob"]),
    ("bob@example.com; Bob", ["bob@example.com", "Bob"], ["Bob"]),
    ('bob@example.com; "Unclosed <x@example.com>', ["bob@example.com", '"Unclosed <x@example.com>'],
     ['"Unclosed <x@example.com>']),
    ("x@y, carol@example.com,", ["x@y", "carol@example.com"], ["x@y"]),
    ("Bob <bob@example.com> extra;", ["Bob <bob@example.com> extra"], ["Bob <bob@example.com> extra"]),
    ("bob@@example.com", ["bob@@example.com"], ["bob@@example.com"]),
    ("Bob <>", ["Bob <>"], ["Bob <>"]),
])
def test_an_entry_that_is_not_an_address_is_kept_and_reported(
        email_build: str, typed: str, entries: list[str], bad: list[str]) -> None:
    assert recipient_entries(typed) == entries
    assert invalid_recipients(entries) == bad
    assert invalid_recipients(entries) == bad


def test_names_are_quoted_when_they_must_be() -> None:
    assert format_recipient("Baker, Bob", "bob@example.com") == '"Baker, Bob" <bob@example.com>'
    assert format_recipient("Bob Baker", "bob@example.com") == "Bob Baker <bob@example.com>"
    assert format_recipient("", "bob@example.com") == "bob@example.com"
    assert parse_recipient(format_recipient('A "q" \\ b', "q@example.com")) == ('A "q" \\ b', "q@example.com")
