"""Sending exactly once while the server loses answers after it acted (``drop-after``, ``http500-after``).

Every message carries its own Message-ID; after a lost answer the client asks Sent Items (and the draft) whether
it went out before it tries again. At a 30% fault rate on every request: no message arrives twice, none reported
sent is missing, none reported not sent arrived anyway, no draft of a sent message is left in Drafts.
"""

from __future__ import annotations

import pytest

from app.domain.errors import OutcomeUnknown
from app.ews.once import ambiguous
from tests.support.send_once import run_sends

RATE = 0.3


def _check(run, count: int) -> None:
    print(run.report())
    assert len(run.outcomes) == count, "every message has an outcome"
    assert run.faults > 0, "the run must actually have hit injected faults"
    assert run.duplicates == 0
    assert run.lost == 0
    assert run.phantoms == 0
    assert all(o == "sent" or o.startswith("not sent") for o in run.outcomes.values())
    assert all(run.sent_copies[m] == 1 for m in run.sent), "one copy in support@'s Sent Items per message"
    assert not any(run.left_drafts[m] for m in run.sent), "a sent message leaves no draft behind"


@pytest.mark.parametrize("mode", ["drop-after", "http500-after"])
def test_ten_sends_with_lost_answers_arrive_once_each(start_fresh_emulator, mode) -> None:
    emu = start_fresh_emulator(fail_rate=RATE, fail_mode=mode, fail_seed=7)
    _check(run_sends(emu, mode, 10), 10)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["drop-after", "http500-after"])
def test_fifty_sends_with_lost_answers_arrive_once_each(start_fresh_emulator, mode) -> None:
    emu = start_fresh_emulator(fail_rate=RATE, fail_mode=mode, fail_seed=11)
    _check(run_sends(emu, mode, 50), 50)


def test_a_lost_answer_is_ambiguous_and_a_refusal_is_not(start_fresh_emulator) -> None:
    from exchangelib import errors as ex

    from tests.support.emulator import account

    emu = start_fresh_emulator(fail_mode="drop-after")
    acc = account(emu, "alice", "support@example.com")
    inbox = acc.inbox
    emu.server.faults.rate = 1.0
    with pytest.raises(Exception) as lost:  # noqa: PT011 - exchangelib's own class varies with the pool size
        inbox.refresh()
    assert ambiguous(lost.value)
    assert not ambiguous(ex.ErrorServerBusy("The server cannot service this request right now.", back_off=1))
    assert not ambiguous(ex.ErrorAccessDenied("no"))
    assert not ambiguous(OutcomeUnknown("already classified"))
