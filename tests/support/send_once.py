"""Many sends from support@ through ``app.ews.compose`` while the emulator loses answers after acting.

Shared by the exactly-once tests (small and full scale) and ``bench/bench_send_once.py``. Half of the messages
are sent unsaved (one CreateItem SendAndSaveCopy), half saved as a draft first (CreateItem SaveOnly, then an
UpdateItem that sends the draft): both ways a send can be repeated. The emulator faults every kind of request
at the same rate, the questions about the outcome included.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field

from app.domain.errors import MailroomError, OutcomeUnknown
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.message_ids import new_message_id
from app.domain.messages import Draft
from app.ews.client import EwsClient
from app.ews.compose import save_draft, send
from tests.support.emulator import BUILD, account

SUPPORT = "support@example.com"
MAX_PRESSES = 10
"""How often the simulated user presses Send again after "not confirmed" (each press asks the server first)."""


@dataclass
class SendRun:
    """What happened to each message, and what the recipient and the mailbox hold afterwards."""

    mode: str
    outcomes: dict[str, str] = field(default_factory=dict)  # message id -> "sent" / "not sent: ..."
    presses: dict[str, int] = field(default_factory=dict)  # message id -> presses of Send it took
    received: Counter[str] = field(default_factory=Counter)  # message id -> copies in bob's Inbox
    sent_copies: Counter[str] = field(default_factory=Counter)  # message id -> copies in support@'s Sent Items
    left_drafts: Counter[str] = field(default_factory=Counter)  # message id -> drafts left in support@'s Drafts
    faults: int = 0

    @property
    def sent(self) -> list[str]:
        return [m for m, o in self.outcomes.items() if o == "sent"]

    @property
    def not_sent(self) -> list[str]:
        return [m for m, o in self.outcomes.items() if o != "sent"]

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)

    @property
    def lost(self) -> int:
        """Messages reported sent that never arrived."""
        return sum(1 for m in self.sent if self.received[m] == 0)

    @property
    def phantoms(self) -> int:
        """Messages reported not sent that arrived anyway (a silent send)."""
        return sum(1 for m in self.not_sent if self.received[m] > 0)

    def report(self) -> str:
        lines = [f"{self.mode}: {len(self.outcomes)} messages, {len(self.sent)} sent, {len(self.not_sent)} not sent, "
                 f"{self.duplicates} duplicates, {self.lost} lost, {self.phantoms} sent though reported not sent, "
                 f"{sum(self.left_drafts.values())} drafts left behind, {self.faults} faults injected"]
        for number, (mid, outcome) in enumerate(self.outcomes.items(), 1):
            lines.append(f"  #{number:02d} {outcome:<40} presses={self.presses[mid]} received={self.received[mid]}")
        return "\n".join(lines)


def run_sends(emu, mode: str, count: int) -> SendRun:
    """Send ``count`` messages from support@ as alice through ``emu`` (faulting); count what arrived."""
    run = SendRun(mode)
    client = EwsClient(emu.ews_url, "alice@example.com", "alice-pass", AuthMethod.NTLM, ServerVersion(*BUILD))
    try:
        for number in range(count):
            draft = Draft(SUPPORT, to=["bob@example.com"], subject=f"Once {mode} #{number:02d}",
                          body_html=f"<html><body>Message {number}</body></html>",
                          message_id=new_message_id(SUPPORT))
            if number % 2:
                with contextlib.suppress(MailroomError):  # a failed save keeps it locally: sent unsaved below
                    draft = save_draft(client, draft)
            run.outcomes[draft.message_id] = _press_send_until_clear(client, draft, run)
    finally:
        client.close()
    run.faults = emu.faults.total
    emu.server.faults.rate = 0.0  # count with a healthy server
    _count(emu, run)
    return run


def _press_send_until_clear(client: EwsClient, draft: Draft, run: SendRun) -> str:
    check_first = False
    for press in range(1, MAX_PRESSES + 1):
        run.presses[draft.message_id] = press
        try:
            send(client, draft, check_first=check_first)
            return "sent"
        except OutcomeUnknown:
            check_first = True  # the app keeps that in the draft: the next press asks first
        except MailroomError as error:
            return f"not sent: {type(error).__name__}"
    return "not sent: still not confirmed"


def _count(emu, run: SendRun) -> None:
    prefix = f"Once {run.mode} #"
    for folder, counter in ((account(emu, "bob").inbox, run.received),
                            (account(emu, "alice", SUPPORT).sent, run.sent_copies),
                            (account(emu, "alice", SUPPORT).drafts, run.left_drafts)):
        for item in folder.filter(subject__startswith=prefix).only("message_id"):
            counter[item.message_id] += 1
