"""A local Exchange (EWS) emulator over real HTTP on loopback: ``with Emulator() as emu: emu.ews_url``.

``Emulator`` is imported lazily so that modules of this package (``soap``, ``backend``, ...)
can be imported without pulling in the HTTP and NTLM stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ews_emulator.emulator import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from ews_emulator.emulator import Emulator

        return Emulator
    raise AttributeError(f"module 'ews_emulator' has no attribute {name!r}")
