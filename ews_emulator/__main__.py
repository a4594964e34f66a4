"""``python -m ews_emulator``: run the emulator until Ctrl-C or SIGTERM.

Prints, once ready::

    EWS endpoint: http://127.0.0.1:PORT/EWS/Exchange.asmx
    Autodiscover: http://127.0.0.1:PORT/autodiscover/autodiscover.svc
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from ews_emulator.emulator import Emulator
from ews_emulator.faults import FaultMode
from ews_emulator.quirks import Quirk


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="python -m ews_emulator", description="Local Exchange (EWS) emulator.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (keep it loopback)")
    p.add_argument("--port", type=_non_negative, default=0, help="TCP port (default 0: a free port)")
    p.add_argument("--data", metavar="DIR", help="keep state in DIR across restarts")
    p.add_argument("--scale", type=_non_negative, default=0, help="extra messages in support@ Inbox")
    p.add_argument("--latency-ms", type=_non_negative, default=0, help="delay every authenticated response")
    p.add_argument("--fail-rate", type=_rate, default=0.0, help="fault probability per EWS request")
    p.add_argument("--fail-mode", choices=[m.value for m in FaultMode], default="busy", help="kind of fault")
    p.add_argument("--fail-seed", type=int, default=0, help="seed of the fault generator")
    p.add_argument("--quirk", action="append", default=[], choices=[q.value for q in Quirk], metavar="NAME",
                   help="answer in one deliberate non-Exchange shape (repeatable; for testing clients)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate")
    p.add_argument("--schema", metavar="DIR", help="EWS schema folder: validate requests and responses")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the emulator; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = Emulator(
        host=args.host,
        port=args.port,
        data_dir=args.data,
        scale=args.scale,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        fail_mode=args.fail_mode,
        fail_seed=args.fail_seed,
        tls=args.tls,
        schema_dir=args.schema,
        quirks=args.quirk,
    )
    with emulator:
        print(f"EWS endpoint: {emulator.ews_url}")
        print(f"Autodiscover: {emulator.autodiscover_url}")
        if emulator.tls is not None:
            print(f"TLS certificate: {emulator.tls.cert_path}")
            print(f"TLS SHA-256 fingerprint: {emulator.tls.fingerprint_sha256}")
        sys.stdout.flush()
        while not stop.wait(1.0):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
