"""Test helpers for driving the emulator with exchangelib over real HTTP."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = (15, 2, 2562, 17)


def schema_dir() -> Path | None:
    """Microsoft's EWS schema beside the checkout (``../shared/ews-schema``), or None on a user's clone."""
    env = os.environ.get("MAILROOM_EWS_SCHEMA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "ews-schema")
    for c in candidates:
        if (c / "messages.xsd").is_file() and (c / "types.xsd").is_file():
            return c
    return None


def copy_store(template_dir: Path, target_dir: Path) -> Path:
    """Copy a seeded store so a test can change it freely."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(template_dir):
        if name.startswith("mailboxes.sqlite"):
            shutil.copy2(template_dir / name, target_dir / name)
    return target_dir


def account(emu, user: str, mailbox: str | None = None, auth: str = "NTLM", password: str | None = None,
            retry_policy=None):
    """An exchangelib Account for ``mailbox`` (default: the user's own) signed in as ``user``.

    ``user`` is the local part (``alice``) or a full address. The version is given so no ConvertId probe is sent.
    ``retry_policy`` defaults to exchangelib's FailFast.
    """
    from exchangelib import BASIC, DELEGATE, NTLM, Account, Build, Configuration, Credentials, Version

    address = user if "@" in user else f"{user}@example.com"
    secret = password if password is not None else f"{address.split('@')[0]}-pass"
    creds = Credentials(address, secret)
    config = Configuration(
        service_endpoint=emu.ews_url,
        credentials=creds,
        auth_type={"NTLM": NTLM, "BASIC": BASIC}[auth],
        version=Version(build=Build(*BUILD)),
        **({"retry_policy": retry_policy} if retry_policy is not None else {}),
    )
    target = mailbox or address
    if "@" not in target:
        target = f"{target}@example.com"
    return Account(target, credentials=creds, config=config, autodiscover=False, access_type=DELEGATE)


@contextmanager
def extended_field(model, name: str, prop_cls):
    """Register an exchangelib extended property on ``model`` for a test, restoring what was there before.

    exchangelib keeps registrations process-wide, and the app registers some of the same names
    (``app/ews/client.py``): a test must neither fail on nor remove them.
    """
    previous = next((f for f in model.FIELDS if f.name == name), None)
    if previous is not None:
        model.deregister(name)
    model.register(name, prop_cls)
    try:
        yield
    finally:
        model.deregister(name)
        if previous is not None:
            model.register(name, previous.value_cls)


def stored_rules(emu, user: str, mailbox: str | None = None) -> list[bytes]:
    """The inbox rules of ``mailbox`` (default: the user's own) as the server stores them, each serialised.

    An independent exchangelib read as ``user``, for comparing a mailbox's rules before and after a change.
    """
    from exchangelib.util import create_element, set_xml_value
    from lxml import etree

    out = []
    for rule in account(emu, user, mailbox).rules:
        rule.account = None
        out.append(etree.tostring(set_xml_value(create_element("x"), rule)))
    return out
