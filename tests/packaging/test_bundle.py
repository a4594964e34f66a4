"""The built bundle (``make bundle``): what must be in it, what must not, and that it runs.

Skipped without a bundle (``make test`` on a fresh clone); ``.ci/run`` builds one and requires these to run.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import app
from tests.packaging.conftest import ROOT

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks the Linux bundle's layout")
QT = Path("_internal/PySide6/Qt")

REQUIRED = (
    "_internal/resources/demo_tenant/tenant.json",
    "_internal/resources/demo_tenant/mail/support.json",
    "_internal/resources/icons/mailroom.svg",
    f"{QT}/libexec/QtWebEngineProcess",
    f"{QT}/resources/qtwebengine_resources.pak",
    f"{QT}/resources/icudtl.dat",
    f"{QT}/resources/v8_context_snapshot.bin",
    f"{QT}/translations/qtwebengine_locales/en-US.pak",
    f"{QT}/plugins/platforms/libqxcb.so",
    f"{QT}/plugins/platforms/libqoffscreen.so",
    f"{QT}/plugins/xcbglintegrations/libqxcb-glx-integration.so",
    f"{QT}/plugins/imageformats/libqsvg.so",
    f"{QT}/plugins/iconengines/libqsvgicon.so",
    f"{QT}/lib/libQt6WebEngineCore.so.6",
)


def _files(bundle: Path) -> list[str]:
    return [str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file() or p.is_symlink()]


@linux_only
def test_the_bundle_has_what_the_app_needs(bundle: Path) -> None:
    missing = [path for path in REQUIRED if not (bundle / path).exists()]
    assert not missing


@linux_only
def test_unneeded_qt_parts_are_left_out(bundle: Path) -> None:
    files = _files(bundle)
    dropped = [
        f for f in files
        if any(part in f for part in ("platformthemes/libqgtk3", "libqwayland", "libqeglfs", "libqvnc",
                                      "libqlinuxfb", "libqminimal", "wayland-", "egldeviceintegrations",
                                      "libgtk-3", "libgdk-3", "tkinter", "libtk", "Qt/qml/", "libQt6Quick3D",
                                      "libQt6Charts", "libQt6Multimedia", "libQt63D", "libQt6Pdf"))
    ]
    assert not dropped
    locales = sorted(Path(f).name for f in files if "qtwebengine_locales" in f)
    assert locales == ["en-US.pak"]
    assert not [f for f in files if f.startswith(f"{QT}/translations/") and f.endswith(".qm")]


def test_the_bundled_python_modules_are_the_apps_not_the_test_suite(bundle: Path) -> None:
    readers = pytest.importorskip("PyInstaller.archive.readers", reason="PyInstaller (the bundle extra)")
    executable = bundle / ("mailroom.exe" if sys.platform == "win32" else "mailroom")
    modules = set(readers.CArchiveReader(str(executable)).open_embedded_archive("PYZ.pyz").toc)
    assert {"app.selftest", "app.views.webview", "ews_emulator.ops.finditem", "exchangelib"} <= modules
    tops = {name.split(".")[0] for name in modules}
    assert not tops & {"tests", "pytest", "_pytest", "tkinter", "ruff", "importlinter", "PyInstaller"}


@linux_only
@pytest.mark.slow
def test_every_library_in_the_bundle_finds_what_it_links(bundle: Path) -> None:
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    assert len(elves) > 50
    unresolved = {}
    for path in elves:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=60).stdout
        missing = [line.split()[0] for line in out.splitlines() if "not found" in line]
        if missing:
            unresolved[str(path.relative_to(bundle))] = missing
    assert not unresolved


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def test_the_bundled_binary_reports_the_version(bundle: Path, child_env) -> None:
    done = subprocess.run([str(bundle / "mailroom"), "--version"], env=child_env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"Mailroom {app.__version__}"


@pytest.mark.slow
def test_the_bundled_selftest_passes(bundle: Path, child_env) -> None:
    done = subprocess.run([str(bundle / "mailroom"), "--selftest"], env=child_env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ", bundle, Qt platform offscreen" in done.stdout.splitlines()[0]
    assert "web view rendered" in done.stdout


@linux_only
@pytest.mark.slow
def test_the_linux_tarball_installs_per_user_and_runs(bundle: Path, child_env, tmp_path: Path) -> None:
    made = subprocess.run(["sh", str(ROOT / "packaging/linux/make_tarball.sh")], capture_output=True, text=True,
                          env={**child_env, "GZIP_LEVEL": "1", "OUT_DIR": str(tmp_path)}, timeout=600, check=True)
    tarball = Path(made.stdout.split()[0])
    assert tarball.parent == tmp_path
    assert tarball.name == f"mailroom-{app.__version__}-linux-x86_64.tar.gz"
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "unpacked", filter="tar")
    top = tmp_path / "unpacked" / f"mailroom-{app.__version__}"
    env = {**child_env, "PREFIX": str(tmp_path / "prefix"), "XDG_DATA_HOME": str(tmp_path / "data")}
    subprocess.run(["sh", str(top / "install.sh")], env=env, capture_output=True, timeout=300, check=True)

    entry = configparser.ConfigParser(interpolation=None)
    entry.read(tmp_path / "data/applications/mailroom.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == f"{tmp_path}/prefix/opt/mailroom/mailroom %u"
    assert "x-scheme-handler/mailto" in desktop["MimeType"].split(";")
    assert desktop["Icon"] == "mailroom"
    assert (tmp_path / "data/icons/hicolor/256x256/apps/mailroom.png").is_file()
    done = subprocess.run([str(tmp_path / "prefix/bin/mailroom"), "--version"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == f"Mailroom {app.__version__}"

    subprocess.run(["sh", str(top / "install.sh"), "--uninstall"], env=env, capture_output=True, timeout=60,
                   check=True)
    assert not (tmp_path / "prefix/opt/mailroom").exists()
    assert not (tmp_path / "data/applications/mailroom.desktop").exists()


@linux_only
@pytest.mark.slow
def test_the_bundled_selftest_fails_clearly_without_the_webengine_helper(bundle: Path, child_env,
                                                                          tmp_path: Path) -> None:
    broken = tmp_path / "mailroom"
    shutil.copytree(bundle, broken, symlinks=True, copy_function=os.link)  # hard links: fast, no extra space
    (broken / QT / "libexec/QtWebEngineProcess").unlink()
    done = subprocess.run([str(broken / "mailroom"), "--selftest"], env=child_env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "mailroom selftest: FAILED: QtWebEngineProcess is missing (the bundle lacks QtWebEngine's helper)")
