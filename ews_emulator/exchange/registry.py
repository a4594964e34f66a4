"""The operation registry: ``@operation("GetFolder")`` binds a handler to a SOAP body element name.

A handler takes the request :class:`~ews_emulator.exchange.context.Ctx` and the request
element (e.g. ``m:GetFolder``) and returns the response element (``m:GetFolderResponse``).
Per-message errors are raised as :class:`~ews_emulator.errors.EwsError` inside
:func:`~ews_emulator.exchange.responses.each_message` loops; whole-request failures raise
:class:`~ews_emulator.soap.SoapFault`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from ews_emulator.exchange.context import Ctx

Handler = Callable[["Ctx", etree._Element], "etree._Element | StreamingAnswer | HttpAnswer"]
OPERATIONS: dict[str, Handler] = {}


class StreamingAnswer:
    """A handler result written as a chunked stream of SOAP envelopes (GetStreamingEvents)."""

    def __init__(self, chunks) -> None:  # Iterator[bytes]
        self.chunks = chunks


class HttpAnswer:
    """A handler result that also sets the HTTP status and headers (GetUserPhoto: 404 when there is no photo,
    an ``ETag`` header with the picture). The element is wrapped and schema-checked like any other answer."""

    def __init__(self, element: etree._Element, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.element = element
        self.status = status
        self.headers = dict(headers or {})


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in OPERATIONS:
            raise RuntimeError(f"operation {name} registered twice")
        OPERATIONS[name] = fn
        return fn

    return register


def load_all() -> None:
    """Import every handler module so their decorators run."""
    import importlib
    import pkgutil

    import ews_emulator.ops as ops

    for info in pkgutil.iter_modules(ops.__path__):
        importlib.import_module(f"ews_emulator.ops.{info.name}")
