"""Demo mode: the local Exchange emulator in-process, and the demo tenant's sign-ins.

The emulator is imported lazily, here only, so that the app proper never depends on it.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from pathlib import Path

# The demo tenant's people (resources/ holds the tenant; these are its published demo sign-ins).
DEMO_USERS: dict[str, tuple[str, str]] = {
    "alice": ("alice@example.com", "alice-pass"),
    "bob": ("bob@example.com", "bob-pass"),
    "carol": ("carol@example.com", "carol-pass"),
    "dave": ("dave@example.com", "dave-pass"),
}


def demo_credentials(user: str) -> tuple[str, str]:
    """(address, password) of a demo user given as ``alice`` or ``alice@example.com``.

    Raises:
        ValueError: Not a demo user.
    """
    name = user.casefold().partition("@")[0]
    if name not in DEMO_USERS:
        raise ValueError(f"{user!r} is not a demo user; choose one of {', '.join(DEMO_USERS)}")
    return DEMO_USERS[name]


class DemoServer:
    """The EWS emulator on a free loopback port, for demo mode.

    :meth:`start` blocks while the tenant is seeded: call it from a worker. :meth:`stop` may be called from
    any thread, also before or while :meth:`start` runs (the server is then stopped as soon as it is up).
    """

    def __init__(self, *, data_dir: Path | None = None, latency_ms: int = 0) -> None:
        self._data_dir = data_dir
        self._latency_ms = latency_ms
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._stopped = False
        self.ews_url: str | None = None

    def start(self) -> str:
        """Start the emulator and return its EWS endpoint URL.

        Raises:
            RuntimeError: :meth:`stop` was called first.
        """
        from ews_emulator import Emulator  # lazy: only demo mode needs the emulator

        emulator = Emulator(
            host="127.0.0.1", port=0, data_dir=self._data_dir, scale=0, latency_ms=self._latency_ms
        )
        with self._lock:
            if self._stopped:
                raise RuntimeError("the demo server was stopped before it started")
        running = self._stack.enter_context(emulator)
        with self._lock:
            if self._stopped:  # stop() came while we were starting
                self._stack.close()
                raise RuntimeError("the demo server was stopped before it started")
            self.ews_url = running.ews_url
        return running.ews_url

    def stop(self) -> None:
        """Stop the emulator (idempotent)."""
        with self._lock:
            self._stopped = True
            self._stack.close()
