"""Single instance: a later launch hands its arguments to the first, which raises its window and composes."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app import __main__ as entry
from app import single_instance as si
from app.launch import serve_instances
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE

ROOT = Path(__file__).resolve().parents[2]
LINK = "mailto:carol@example.com?cc=dave@example.com&subject=Printer%20on%20floor%203&body=It%20jams.%0AAgain."


@pytest.fixture
def name(tmp_path: Path) -> str:
    return si.server_name(tmp_path / "config")


@pytest.fixture
def server(qtbot, name: str) -> Iterator[si.InstanceServer]:
    srv = si.InstanceServer(name)
    assert srv.listen()
    yield srv
    srv.close()


def _forward(qtbot, name: str, argv: list[str]) -> bool:
    """``single_instance.forward`` in a second process, while this one serves (the blocking client holds the GIL,
    so it cannot share a process with the server it waits for)."""
    code = "import json, sys\nfrom app.single_instance import forward\n" \
           "sys.exit(0 if forward(sys.argv[1], json.loads(sys.argv[2])) else 3)\n"
    proc = subprocess.Popen([sys.executable, "-c", code, name, json.dumps(argv)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=WAIT_MS)
    _out, err = proc.communicate()
    assert proc.returncode in (0, 3), err
    return proc.returncode == 0


def test_names_differ_per_config_folder_and_user(tmp_path: Path) -> None:
    a = si.server_name(tmp_path / "a", user="alice")
    assert a == si.server_name(tmp_path / "a", user="alice")
    assert a != si.server_name(tmp_path / "b", user="alice")
    assert a != si.server_name(tmp_path / "a", user="bob")
    assert a.startswith("mailroom-") and len(a) < 40  # short: Unix socket paths are limited to ~100 bytes


def test_second_launch_hands_over_its_arguments(qtbot, server: si.InstanceServer, name: str) -> None:
    with qtbot.waitSignal(server.received, timeout=WAIT_MS) as got:
        assert _forward(qtbot, name, [LINK, "mailto:x@example.com"])
    assert got.args == [[LINK, "mailto:x@example.com"]]


def test_nobody_listening_means_first_instance(qtbot, name: str) -> None:
    assert si.forward(name, [LINK]) is False  # in this process: nobody answers, so no waiting for the GIL


def test_a_live_instance_keeps_its_name(qtbot, server: si.InstanceServer, name: str) -> None:
    other = si.InstanceServer(name)
    assert other.listen() is False
    # the first still works
    with qtbot.waitSignal(server.received, timeout=WAIT_MS):
        assert _forward(qtbot, name, [])


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or sys.platform == "win32", reason="Unix sockets")
def test_stale_socket_of_a_crashed_instance_is_taken_over(qtbot, name: str) -> None:
    probe = QLocalServer()
    assert probe.listen(name)
    path = probe.fullServerName()
    probe.close()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # bound, never listening, file left behind
    stale.bind(path)
    stale.close()
    assert os.path.exists(path)
    assert si.forward(name, [LINK]) is False  # in this process: nobody answers, so no waiting for the GIL

    srv = si.InstanceServer(name)
    try:
        assert srv.listen()
        with qtbot.waitSignal(srv.received, timeout=WAIT_MS):
            assert _forward(qtbot, name, [LINK])
    finally:
        srv.close()


@pytest.mark.parametrize("payload", [b"not json", b'{"argv": "x"}', b'{"argv": [1, 2]}', b"[]",
                                     b'{"argv": ["\xff"]}'])
def test_malformed_messages_are_refused_and_the_server_goes_on(qtbot, server: si.InstanceServer, name: str,
                                                                payload: bytes) -> None:
    received: list[list[str]] = []
    server.received.connect(received.append)
    client = QLocalSocket()
    client.connectToServer(name)
    assert client.waitForConnected(1000)
    client.write(struct.pack(">I", len(payload)) + payload)
    reply = bytearray()
    client.readyRead.connect(lambda: reply.extend(bytes(client.readAll().data())))
    qtbot.waitUntil(lambda: bytes(reply) == si.NAK, timeout=WAIT_MS)
    client.abort()
    assert received == []
    with qtbot.waitSignal(server.received, timeout=WAIT_MS):
        assert _forward(qtbot, name, ["mailto:ok@example.com"])


def test_oversized_message_is_refused_before_it_is_read(qtbot, server: si.InstanceServer, name: str) -> None:
    client = QLocalSocket()
    client.connectToServer(name)
    assert client.waitForConnected(1000)
    client.write(struct.pack(">I", si.MAX_MESSAGE + 1))
    reply = bytearray()
    client.readyRead.connect(lambda: reply.extend(bytes(client.readAll().data())))
    qtbot.waitUntil(lambda: bytes(reply) == si.NAK, timeout=WAIT_MS)
    client.abort()


def test_the_request_is_bounded() -> None:
    with pytest.raises(ValueError, match="too long"):
        si.encode_request(["mailto:?body=" + "x" * si.MAX_MESSAGE])
    with pytest.raises(ValueError, match="at most 64"):
        si.encode_request(["mailto:a@example.com"] * (si.MAX_ARGS + 1))
    assert si.decode_request(si.encode_request(["a", "ü"], "/tmp")[4:]) == ["a", "ü"]


# -- the command line ----------------------------------------------------------------------------------------
def test_command_line_takes_mailto_links_and_knows_when_to_be_single() -> None:
    args = entry.parse_args([LINK, "--demo"])
    assert args.links == [LINK] and entry.single_instance_applies(args)
    for flags in (["--selftest"], ["--set-password", "--user", "x"], ["--screenshot", "x.png"],
                  ["--screenshot-dialog", "labels", "x.png"], ["--quit-after-first-window"], ["--new-instance"]):
        assert not entry.single_instance_applies(entry.parse_args(["--demo", *flags] if flags[0] != "--set-password"
                                                                   else flags)), flags
    with pytest.raises(SystemExit):
        entry.parse_args(["http://example.com"])


def test_version_and_selftest_flags(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        entry.parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == "Mailroom 0.1.0"
    assert entry.parse_args(["--selftest"]).selftest is True


# -- with the real window ----------------------------------------------------------------------------------------
pytestmark_window = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


@pytestmark_window
def test_a_later_launch_raises_the_window_and_opens_a_prefilled_compose(qtbot, emulator, drive, name) -> None:
    d = drive(emulator, "alice")
    server = serve_instances(d.app, name, [])
    assert server is not None
    try:
        d.window.showMinimized()
        assert _forward(qtbot, name, ["--demo", LINK])
        qtbot.waitUntil(lambda: len(d.app.activation.opened) == 1, timeout=WAIT_MS)
        assert not d.window.isMinimized() and d.window.isVisible()
        compose = d.app.activation.opened[0]
        draft = compose.draft()
        assert (draft.to, draft.cc, draft.bcc) == (["carol@example.com"], ["dave@example.com"], [])
        assert draft.subject == "Printer on floor 3"
        assert "It jams." in compose.body_edit.toPlainText() and "Again." in compose.body_edit.toPlainText()
        assert draft.from_mailbox == "alice@example.com"
        assert compose in d.window.commands.compose_windows
    finally:
        server.close()


@pytestmark_window
def test_first_launch_links_wait_for_sign_in_and_junk_is_reported(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice", wait=False)
    assert d.window.user is None  # sign-in runs in a worker; its result needs the event loop
    # as `python -m app mailto:…` does on a first launch (no socket name: single instance off here)
    assert serve_instances(d.app, "", ["mailto:bob@example.com?subject=Later", "mailto:not%20an%20address"]) is None
    assert d.app.activation.opened == [] and len(d.app.activation.pending) == 1
    assert "not an e-mail address" in d.window.message_bar.text()
    d.wait_signed_in()
    qtbot.waitUntil(lambda: len(d.app.activation.opened) == 1, timeout=WAIT_MS)
    assert d.app.activation.opened[0].draft().subject == "Later"
    assert d.app.activation.pending == []


@pytest.mark.slow
def test_a_real_second_launch_exits_0_after_handing_over(qtbot, tmp_path: Path) -> None:
    """``python -m app --demo mailto:…`` against a first instance (a server here, under the same XDG folders)."""
    srv = si.InstanceServer(si.server_name())  # the name the subprocess computes from the same environment
    assert srv.listen()
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
        with qtbot.waitSignal(srv.received, timeout=60_000) as got:
            proc = subprocess.Popen([sys.executable, "-m", "app", "--demo", LINK], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert "passed to the running Mailroom" in out
        assert got.args == [[LINK]]
    finally:
        srv.close()
