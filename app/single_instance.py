"""One Mailroom per user: a second launch hands its arguments to the first one and exits.

The first instance listens on a local socket (:class:`InstanceServer`; a Unix socket in the temp folder, a named
pipe on Windows) named per user and configuration folder (:func:`server_name`, so test runs with their own XDG
folders never meet a real instance). A later launch connects (:func:`forward`), sends its arguments as one
length-prefixed JSON message and waits for an acknowledgement; it then exits 0 while the first instance raises
its window and handles the arguments (``mailto:`` links open a compose window, see :mod:`app.activation`).

A socket left behind by a crashed first instance is detected (nobody answers on it) and taken over.

Wire format (both directions are tiny): request = 4-byte big-endian length + UTF-8 JSON
``{"argv": [...], "cwd": "..."}`` of at most :data:`MAX_MESSAGE` bytes; reply = ``b"OK\\n"`` or ``b"ERR\\n"``.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import struct
from pathlib import Path

import platformdirs

from PySide6.QtCore import QByteArray, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024
MAX_ARGS = 64
ACK = b"OK\n"
NAK = b"ERR\n"
CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000
CLIENT_IDLE_MS = 5000
"""The server drops a connection that has not sent its whole message within this time."""
_HEADER = struct.Struct(">I")


def server_name(config_dir: Path | str | None = None, user: str | None = None) -> str:
    """The socket's name for this user and configuration folder (default: the platform's)."""
    folder = str(config_dir or platformdirs.user_config_dir("Mailroom", appauthor=False))
    try:
        who = user if user is not None else getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (a container without passwd entry)
        who = ""
    digest = hashlib.sha256(f"{who}\0{folder}".encode()).hexdigest()[:20]
    return f"mailroom-{digest}"


def encode_request(argv: list[str], cwd: str = "") -> bytes:
    """The request bytes for ``argv``.

    Raises:
        ValueError: Too many arguments or too long a message.
    """
    if len(argv) > MAX_ARGS:
        raise ValueError(f"at most {MAX_ARGS} arguments can be passed to the running Mailroom")
    payload = json.dumps({"argv": list(argv), "cwd": cwd}).encode()
    if len(payload) > MAX_MESSAGE:
        raise ValueError(f"the arguments are too long to pass to the running Mailroom ({len(payload)} bytes)")
    return _HEADER.pack(len(payload)) + payload


def decode_request(payload: bytes) -> list[str]:
    """The arguments in a request's JSON ``payload``.

    Raises:
        ValueError: Not the expected JSON object of strings.
    """
    data = json.loads(payload.decode("utf-8"))
    argv = data.get("argv") if isinstance(data, dict) else None
    if not isinstance(argv, list) or len(argv) > MAX_ARGS or not all(isinstance(a, str) for a in argv):
        raise ValueError("expected {'argv': [strings]}")
    return argv


def forward(name: str, argv: list[str], timeout_ms: int = REPLY_TIMEOUT_MS) -> bool:
    """Hand ``argv`` to the instance listening on ``name``. Works without a QApplication (blocking calls).

    Returns:
        True if a running instance acknowledged them (this process should exit), False if none is running
        (or it did not answer: then this process carries on as the first instance).
    """
    request = encode_request(argv, str(Path.cwd()))
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    try:
        socket.write(QByteArray(request))
        socket.flush()
        if socket.bytesToWrite() and not socket.waitForBytesWritten(timeout_ms):
            log.warning("The running Mailroom did not take the arguments: %s", socket.errorString())
            return False
        reply = b""
        while len(reply) < len(ACK) and socket.waitForReadyRead(timeout_ms):
            reply += bytes(socket.readAll().data())
        if reply.startswith(ACK):
            return True
        log.warning("The running Mailroom did not acknowledge the arguments (%r)", reply[:16])
        return False
    finally:
        socket.abort()


class InstanceServer(QObject):
    """The first instance's end: accepts connections from later launches and emits their arguments.

    Args:
        name: From :func:`server_name`.
        parent: Qt parent.

    Signals:
        received(list): the arguments of a later launch (a list of str), on the GUI thread.
    """

    received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        """Start listening; a stale socket of a crashed instance is removed first.

        Returns:
            False if another instance is live on the name (it answered a connection) or listening failed.
        """
        # Ask first: with socket options set, Qt's listen() replaces an existing socket file, live or not.
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):
            probe.abort()
            return False  # somebody is alive there
        QLocalServer.removeServer(self.name)  # a stale socket of a crashed instance, if any
        if self._server.listen(self.name):
            return True
            return True
        log.warning("Single instance: cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    @property
    def full_name(self) -> str:
        """The socket's path (Unix) or pipe name (Windows)."""
        return self._server.fullServerName()

    def close(self) -> None:
        """Stop listening (removes the socket file)."""
        self._server.close()
        for socket in list(self._buffers):
            socket.abort()
        self._buffers.clear()

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))
            QTimer.singleShot(CLIENT_IDLE_MS, socket, lambda s=socket: self._drop(s, abort=True))

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if len(buffer) < _HEADER.size:
            return
        (size,) = _HEADER.unpack_from(buffer)
        if size > MAX_MESSAGE:
            log.warning("Single instance: refused a %d-byte message", size)
            self._reply(socket, NAK)
            return
        if len(buffer) < _HEADER.size + size:
            return
        try:
            argv = decode_request(bytes(buffer[_HEADER.size:_HEADER.size + size]))
        except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            log.warning("Single instance: refused a malformed message: %s", error)
            self._reply(socket, NAK)
            return
        self._reply(socket, ACK)
        log.info("Single instance: a second launch passed %d argument(s)", len(argv))
        self.received.emit(argv)

    def _reply(self, socket: QLocalSocket, answer: bytes) -> None:
        self._buffers.pop(socket, None)
        socket.write(QByteArray(answer))
        socket.flush()
        socket.disconnectFromServer()

    def _drop(self, socket: QLocalSocket, abort: bool = False) -> None:
        if self._buffers.pop(socket, None) is not None and abort:
            socket.abort()
        socket.deleteLater()
