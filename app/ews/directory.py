"""Directory look-ups with ResolveNames: address autocomplete and display names.

ResolveNames takes exactly one ``UnresolvedEntry`` per request (the EWS schema allows one; Exchange answers more
with ErrorSchemaValidation), although exchangelib sends one per name in its list: always pass it a single name.
"""

from __future__ import annotations

from exchangelib.errors import ErrorNameResolutionNoResults
from exchangelib.properties import Mailbox
from exchangelib.services import ResolveNames
from exchangelib.services.common import EWSService

from app.domain.messages import Person
from app.ews.client import EwsClient

# Directory first, then the user's own contacts (Outlook's order for the address book).
SCOPE = "ActiveDirectoryContacts"


class _ResolveNames(ResolveNames):
    """ResolveNames without exchangelib's warning about the 100-candidate cap.

    WORKAROUND for exchangelib 5.6.0: ``ResolveNames._get_element_container`` calls ``warnings.warn`` when more
    than 100 entries match (services/resolve_names.py); autocomplete shows the first few anyway, and a warning is
    no way to tell a worker thread anything.
    """

    def _get_element_container(self, message, name=None):  # exchangelib's signature
        return EWSService._get_element_container(self, message=message, name=name)


def resolve(client: EwsClient, text: str, limit: int = 10) -> list[Person]:
    """People whose name or address starts with ``text``, from the directory and the user's contacts.

    Args:
        client: The signed-in user.
        text: What the user typed (a name, part of one, or an address).
        limit: At most this many results.

    Returns:
        Matches with an e-mail address, each address once, in the server's order; [] when nothing matches.
    """
    text = text.strip()
    if not text or limit <= 0:
        return []
    people: dict[str, Person] = {}
    for box in _lookup(client, text):
        address = (box.email_address or "").strip()
        if address and address.casefold() not in people:
            people[address.casefold()] = Person(address, (box.name or "").strip())
            if len(people) == limit:
                break
    return list(people.values())


def display_name(client: EwsClient, address: str) -> str:
    """The directory's display name for exactly ``address``, or "" when the directory has none."""
    wanted = address.strip().casefold()
    for box in _lookup(client, address.strip(), scope="ActiveDirectory"):
        if (box.email_address or "").casefold() == wanted and box.name:
            return box.name
    return ""


def _lookup(client: EwsClient, name: str, scope: str = SCOPE) -> list[Mailbox]:
    """One ResolveNames request for one name; no-result answers come back as exception instances, dropped here."""
    protocol = client.own.protocol

    def call() -> list[Mailbox]:
        results = _ResolveNames(protocol=protocol).call(unresolved_entries=[name], search_scope=scope,
                                                        return_full_contact_data=False)
        found = []
        for result in results:
            if isinstance(result, ErrorNameResolutionNoResults):
                continue
            if isinstance(result, Exception):
                raise result
            found.append(result)
        return found

    return client.retrying(call)


def resolve_full(client: EwsClient, text: str, scope: str = "ActiveDirectory") -> list[tuple[Mailbox, object]]:
    """ResolveNames with ``ReturnFullContactData``: ``(Mailbox, Contact or None)`` per match (GAL search).

    One request for one name, like :func:`resolve`; no match is [].
    """
    text = text.strip()
    if not text:
        return []
    protocol = client.own.protocol

    def call() -> list[tuple[Mailbox, object]]:
        found: list[tuple[Mailbox, object]] = []
        for result in _ResolveNames(protocol=protocol).call(unresolved_entries=[text], search_scope=scope,
                                                            return_full_contact_data=True):
            if isinstance(result, ErrorNameResolutionNoResults):
                continue
            if isinstance(result, Exception):
                raise result
            box, contact = result if isinstance(result, tuple) else (result, None)
            found.append((box, contact))
        return found

    return client.retrying(call)
