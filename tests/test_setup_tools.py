"""The set-up machinery a newcomer's `make demo` / `make test` go through: tools/system_deps.sh and the Makefile.

The whole path on a truly fresh Debian 12 is `make fresh-test` (tools/fresh_debian.sh, run by CI as root);
these are the parts that can be checked in seconds on any machine.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEM_DEPS = REPO / "tools" / "system_deps.sh"


def _pyside_dir() -> Path:
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd on this machine")
def test_libs_check_passes_for_the_installed_qt() -> None:
    done = _run("sh", str(SYSTEM_DEPS), "--libs", sys.executable)
    assert done.returncode == 0, done.stderr
    assert "all resolve" in done.stdout


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd on this machine")
def test_libs_check_names_a_library_that_does_not_resolve(tmp_path: Path) -> None:
    # A PySide6 whose QtWebEngineCore module is there but not the Qt libraries it links against ($ORIGIN/Qt/lib):
    # what a Qt update needing a library the system lacks looks like to ldd.
    fake = tmp_path / "site" / "PySide6"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    module = next(_pyside_dir().glob("QtWebEngineCore.*.so"))
    shutil.copy(module, fake / module.name)
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={fake.parent} exec {sys.executable} "$@"\n')
    python.chmod(0o755)

    done = _run("sh", str(SYSTEM_DEPS), "--libs", str(python))

    assert done.returncode == 1
    assert "libQt6WebEngineCore.so.6" in done.stderr
    assert "add it to SONAMES" in done.stderr  # no Debian package ships Qt's own libraries


def _as_nobody() -> list[str]:
    """A prefix that runs a command as an ordinary user, since the check installs packages when run as root."""
    if os.getuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: the check would install python3-venv")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="the python3-venv advice is for Debian")
def test_a_python_without_ensurepip_gets_the_python3_venv_command() -> None:
    # Not tmp_path: pytest makes it readable by root only, and the check runs as an ordinary user.
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)
        done = _system_deps_with_a_python_without_ensurepip(Path(tmp) / "python3")

    assert done.returncode == 1
    assert "apt-get install -y --no-install-recommends python3-venv" in done.stderr


def _system_deps_with_a_python_without_ensurepip(python: Path) -> subprocess.CompletedProcess[str]:
    # A Debian python3 without python3-venv: it runs, but has no ensurepip.
    python.write_text('#!/bin/sh\ncase "$*" in *ensurepip*) exit 1;; *version_info*) echo 3.11;; esac\n')
    python.chmod(0o755)
    # The script is copied beside it: the checkout may be where an ordinary user cannot read (/root).
    script = python.parent / SYSTEM_DEPS.name
    shutil.copy(SYSTEM_DEPS, script)
    script.chmod(0o644)
    env = {"PATH": os.environ["PATH"], "PYTHON": str(python)}
    return _run(*_as_nobody(), "sh", str(script), env=env, cwd=python.parent)


def _make_dry_run(project: Path) -> str:
    done = _run("make", "-n", "setup", cwd=project)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_setup_rebuilds_a_venv_without_pip_but_keeps_a_good_one(tmp_path: Path) -> None:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    stamp = tmp_path / ".venv" / ".stamp"
    stamp.touch()
    os.utime(tmp_path / "pyproject.toml", (1, 1))  # the stamp is newer: by the timestamps, nothing to do

    # What `python3 -m venv` leaves when ensurepip is missing: an interpreter, no pip.
    assert "pip install" in _make_dry_run(tmp_path)

    site = tmp_path / ".venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "pip").mkdir(parents=True)
    (site / "pip" / "__init__.py").write_text("")
    assert "pip install" not in _make_dry_run(tmp_path)

    # The Python the venv was made from is gone: the interpreter link dangles.
    (bin_dir / "python").unlink()
    (bin_dir / "python").symlink_to(tmp_path / "no-such-python")
    assert "pip install" in _make_dry_run(tmp_path)


def _installed_packages() -> dict[str, tuple[str, set[str]]]:
    """Every installed Debian package: its priority and the packages it depends on."""
    fmt = r"${db:Status-Status}\t${Package}\t${Priority}\t${Depends}, ${Pre-Depends}\n"
    out = _run("dpkg-query", "-W", "-f", fmt).stdout
    packages: dict[str, tuple[str, set[str]]] = {}
    for line in out.splitlines():
        status, name, priority, depends = line.split("\t")
        if status != "installed":
            continue
        # "libc6 (>= 2.34), libx11-6 | libx11-dev" -> every alternative counts as a dependency.
        names = {alt.split()[0].split(":")[0] for dep in depends.split(",") for alt in dep.split("|") if alt.split()}
        packages[name] = (priority, names)
    return packages


def _aliases(path: str) -> set[str]:
    """The names dpkg may know a library by: the link and its target, each with and without /usr (usrmerge)."""
    names = {path, os.path.realpath(path)}
    return names | {n.removeprefix("/usr") if n.startswith("/usr/") else "/usr" + n for n in names}


@pytest.mark.skipif(shutil.which("dpkg-query") is None or shutil.which("ldd") is None, reason="needs Debian")
def test_every_system_library_qt_loads_comes_from_the_package_list() -> None:
    """The libraries Qt and QtWebEngine load from the system all come with PACKAGES (or with minbase itself).

    Checked on the machine that runs the suite, where they are installed: each library ldd resolves outside
    PySide6 belongs to a package that is in the list, depends from it, or is part of a minimal Debian
    (Priority: required). A library that only a hand-installed package provides fails here.
    """
    pyside = _pyside_dir()
    binaries = [*pyside.glob("Qt[A-Z]*.abi3.so"), pyside / "Qt" / "libexec" / "QtWebEngineProcess"]
    used = {"QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtTest", "QtWebEngineCore", "QtWebEngineWidgets"}
    binaries = [b for b in binaries if b.name.split(".")[0] in used or b.name == "QtWebEngineProcess"]
    ldd = _run("ldd", *map(str, binaries)).stdout
    system_libs = sorted({
        parts[2] for parts in (line.split() for line in ldd.splitlines())
        if len(parts) >= 3 and parts[1] == "=>" and parts[2].startswith("/") and "site-packages" not in parts[2]
    })
    owners = _run("dpkg", "-S", *{c for lib in system_libs for c in _aliases(lib)}).stdout
    owner_of = {line.rsplit(": ", 1)[1]: line.split(":")[0] for line in owners.splitlines() if ": /" in line}

    def owner(lib: str) -> str:
        return next((owner_of[c] for c in _aliases(lib) if c in owner_of), "?")

    installed = _installed_packages()
    listed = set(_run("sh", str(SYSTEM_DEPS), "--packages").stdout.split())
    covered: set[str] = set()
    todo = [*listed, *(name for name, (priority, _) in installed.items() if priority == "required")]
    while todo:
        name = todo.pop()
        if name in covered:
            continue
        covered.add(name)
        todo.extend(installed.get(name, ("", set()))[1])

    assert system_libs, "ldd resolved no system library at all"
    uncovered = {lib: owner(lib) for lib in system_libs if owner(lib) not in covered}
    assert not uncovered, f"Qt loads libraries of packages tools/system_deps.sh does not install: {uncovered}"
