"""Guards for the desktop stack: the PySide6 6.12.0 / Python 3.11 None-refcount crash must never come back.

shiboken6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call; after ~5,000 calls Python
aborts with "Fatal Python error: none_dealloc" (../shared/reference/desktop-stack.md).
"""

from __future__ import annotations

import sys

import pytest

import PySide6
import shiboken6
from PySide6.QtCore import QObject


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    obj = QObject()
    obj.setObjectName("warm-up")
    before = sys.getrefcount(None)
    for i in range(200):
        obj.setObjectName(f"name-{i % 2}")
    lost = before - sys.getrefcount(None)
    assert lost < 100, f"{lost} references to None lost in 200 setObjectName() calls: broken shiboken6"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_pyside6_is_not_the_version_that_crashes_on_python_311() -> None:
    assert PySide6.__version__ != "6.12.0", "PySide6 6.12.0 aborts on Python 3.11: pin 6.11.3"
    assert shiboken6.__version__ != "6.12.0", "shiboken6 6.12.0 aborts on Python 3.11: pin 6.11.3"
