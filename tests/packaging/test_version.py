"""The version lives in one place (app/__init__.py); packaging metadata and ``--version`` agree with it."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib

import app
from tests.packaging.conftest import ROOT


def test_pyproject_takes_the_version_from_the_app() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "app.__version__"}
    assert project["project"]["optional-dependencies"]["bundle"] == ["pyinstaller==6.22.3"]


def test_installed_metadata_carries_the_same_version() -> None:
    assert importlib.metadata.version("mailroom") == app.__version__, "reinstall: make setup"


def test_version_option_prints_it(child_env) -> None:
    done = subprocess.run([sys.executable, "-m", "app", "--version"], cwd=ROOT, env=child_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"Mailroom {app.__version__}"
