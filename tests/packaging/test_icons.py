"""tools/make_icons.py: PNG, ICO and ICNS rendered from resources/icons/mailroom.svg and packed correctly."""

from __future__ import annotations

from pathlib import Path

from tools import make_icons


def test_every_icon_file_is_written_with_the_right_sizes(qapp, tmp_path: Path) -> None:
    written = {path.name for path in make_icons.make_icons(tmp_path)}
    assert written == {f"mailroom-{n}.png" for n in make_icons.PNG_SIZES} | {
        "mailroom.png", "mailroom.ico", "mailroom.icns"}
    for size in make_icons.PNG_SIZES:
        assert make_icons.png_size((tmp_path / f"mailroom-{size}.png").read_bytes()) == (size, size)
    assert make_icons.png_size((tmp_path / "mailroom.png").read_bytes()) == (256, 256)


def test_ico_holds_one_png_per_size(qapp, tmp_path: Path) -> None:
    make_icons.make_icons(tmp_path)
    images = make_icons.read_ico((tmp_path / "mailroom.ico").read_bytes())
    assert [size for size, _data in images] == sorted(make_icons.ICO_SIZES)
    for size, data in images:
        assert make_icons.png_size(data) == (size, size)


def test_icns_holds_png_elements_of_the_declared_sizes(qapp, tmp_path: Path) -> None:
    make_icons.make_icons(tmp_path)
    elements = make_icons.read_icns((tmp_path / "mailroom.icns").read_bytes())
    assert [kind for kind, _data in elements] == [kind for kind, _size in make_icons.ICNS_TYPES]
    for (_kind, data), (_k, size) in zip(elements, make_icons.ICNS_TYPES, strict=True):
        assert make_icons.png_size(data) == (size, size)


def test_the_icon_is_drawn_not_blank(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    make_icons.make_icons(tmp_path)
    image = QImage(str(tmp_path / "mailroom-64.png"))
    corner, centre = image.pixelColor(0, 0), image.pixelColor(32, 20)
    assert corner.alpha() == 0  # rounded tile: transparent corners
    assert centre.alpha() == 255 and centre.name() == "#ffffff"  # the white envelope
