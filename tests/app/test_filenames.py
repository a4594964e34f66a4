"""Attachment names from strangers made safe to save, and save paths that never overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.filenames import MAX_NAME_BYTES, safe_filename, unique_path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Quarterly report – Q3 (final).xlsx", "Quarterly report – Q3 (final).xlsx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\evil.dll", "evil.dll"),
        ("C:\\Users\\bob\\Desktop\\invoice.pdf", "invoice.pdf"),
        ("/absolute/path/to/file.txt", "file.txt"),
        ("folder/", "folder"),
        ("..", "attachment"),
        ("../..", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("...", "attachment"),
        (".bashrc", "attachment.bashrc"),
        (".pdf", "attachment.pdf"),
        ('a:b*c?d"e<f>g|h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("C:evil.txt", "C_evil.txt"),
        ("line\nbreak\ttab\x00nul\x1bescape.txt", "linebreaktabnulescape.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override: would show as "invoiceexe.pdf"
        ("zero\u200bwidth\ufeff.doc", "zerowidth.doc"),
        ("trailing dots...", "trailing dots"),
        ("trailing space.txt   ", "trailing space.txt"),
        ("name. . .", "name"),
        ("many    spaces.txt", "many spaces.txt"),
        ("non\u00a0breaking.txt", "non breaking.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Nul.tar.gz", "_Nul.tar.gz"),
        ("COM1.log", "_COM1.log"),
        ("lpt9", "_lpt9"),
        ("COM\u00b9.txt", "_COM\u00b9.txt"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("aux .txt", "_aux .txt"),
        ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),  # NFC: the name macOS and Windows agree on
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = safe_filename("x" * 400 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= MAX_NAME_BYTES

    wide = safe_filename("日本語" * 100 + ".docx")
    assert wide.endswith(".docx")
    assert len(wide.encode()) <= MAX_NAME_BYTES
    wide.encode().decode()  # cut on a character boundary

    compound = safe_filename("b" * 300 + ".tar.gz")
    assert compound.endswith(".tar.gz") and len(compound.encode()) <= MAX_NAME_BYTES


def test_a_huge_extension_is_not_kept_whole() -> None:
    name = safe_filename("a." + "b" * 500)
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.startswith("a")


@pytest.mark.parametrize(
    "name",
    ["../x", "a/../../b", "\\\\server\\share\\x", "x\x00/../y", "%2e%2e%2fetc", "CON", ".", "a" * 1000],
)
def test_result_is_always_a_plain_name(name: str, tmp_path: Path) -> None:
    result = safe_filename(name)
    assert result and result not in (".", "..")
    assert "/" not in result and "\\" not in result and "\x00" not in result
    assert (tmp_path / result).parent == tmp_path
    (tmp_path / result).write_bytes(b"ok")  # creatable on this file system


def test_unique_path_never_reuses_a_name(tmp_path: Path) -> None:
    first = unique_path(tmp_path, "report.pdf")
    assert first == tmp_path / "report.pdf"
    first.write_bytes(b"1")
    second = unique_path(tmp_path, "report.pdf")
    assert second == tmp_path / "report (2).pdf"
    second.write_bytes(b"2")
    assert unique_path(tmp_path, "report.pdf") == tmp_path / "report (3).pdf"
    # A name that already carries a number continues from it.
    assert unique_path(tmp_path, "report (2).pdf") == tmp_path / "report (3).pdf"


def test_unique_path_sanitises_and_handles_compound_extensions(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_bytes(b"")
    assert unique_path(tmp_path, "../../etc/passwd") == tmp_path / "passwd (2)"
    (tmp_path / "backup.tar.gz").write_bytes(b"")
    assert unique_path(tmp_path, "backup.tar.gz") == tmp_path / "backup (2).tar.gz"


def test_unique_path_counts_broken_symlinks_as_taken(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(tmp_path / "missing-target")
    assert unique_path(tmp_path, "link.txt") == tmp_path / "link (2).txt"
