"""Internet Message-IDs (RFC 5322 ``msg-id``) that Mailroom gives the messages it sends."""

from __future__ import annotations

import uuid

_FALLBACK_DOMAIN = "mailroom.invalid"


def new_message_id(sender: str) -> str:
    """A new, globally unique ``<left@right>`` for a message sent from ``sender``.

    The right-hand side is the sender's domain (as RFC 5322 section 3.6.4 suggests); the left-hand side a random
    UUID with a ``mailroom`` mark, so it is unique without coordination and recognisable in the logs.

    Args:
        sender: The From address (``support@example.com``); without a domain, a reserved ``.invalid`` one is used.
    """
    domain = sender.rpartition("@")[2].strip().strip(">").lower() if "@" in sender else ""
    if not domain or not all(part and all(c.isalnum() or c == "-" for c in part) for part in domain.split(".")):
        domain = _FALLBACK_DOMAIN
    return f"<{uuid.uuid4().hex}.mailroom@{domain}>"
