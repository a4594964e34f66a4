"""Render Mailroom's app icons from the one source image, ``resources/icons/mailroom.svg``.

``python tools/make_icons.py [--out build/icons]`` writes:

- ``mailroom-<N>.png`` for N in :data:`PNG_SIZES` and ``mailroom.png`` (256 px): Linux (.desktop, hicolor theme);
- ``mailroom.ico``: Windows (executable, installer, shortcuts), PNG payloads of :data:`ICO_SIZES`;
- ``mailroom.icns``: macOS (the .app bundle), PNG payloads under the types of :data:`ICNS_TYPES`.

The SVG is rendered with QtSvg (part of PySide6-Essentials) and the containers are packed here in plain Python:
no Pillow, no iconutil, no ImageMagick, so the same command works on the three CI platforms. The output is a
build product (``build/icons/`` by default), not committed: ``pyinstaller.spec`` runs this script.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "mailroom.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS element types holding PNG data (macOS 10.7+), and the pixel size of each.
ICNS_TYPES: tuple[tuple[bytes, int], ...] = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),  # 512@2x
    (b"ic11", 32),  # 16@2x
    (b"ic12", 64),  # 32@2x
    (b"ic13", 256),  # 128@2x
    (b"ic14", 512),  # 256@2x
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """Render ``svg`` as square PNGs.

    Args:
        svg: The source image.
        sizes: Edge lengths in pixels.

    Returns:
        PNG file contents by size.

    Raises:
        ValueError: Qt cannot read the SVG.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"Qt cannot render {svg}")
    result: dict[int, bytes] = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise ValueError(f"Qt could not encode a {size} px PNG")
        buffer.close()
        result[size] = bytes(data.data())
    return result


def pack_ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file with one PNG-compressed image per size (Windows Vista and later read these).

    Args:
        pngs: PNG contents by size; every size must be 1..256.
    """
    sizes = sorted(pngs)
    if not sizes or sizes[0] < 1 or sizes[-1] > 256:
        raise ValueError(f"ICO sizes must be 1..256, not {sizes}")
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, image count
    offset = len(header) + 16 * len(sizes)
    entries, payloads = [], []
    for size in sizes:
        data = pngs[size]
        edge = 0 if size == 256 else size  # 0 means 256 in the one-byte width/height fields
        # width, height, palette colours, reserved, colour planes, bits per pixel, data size, data offset
        entries.append(struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(data), offset))
        payloads.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(payloads)


def pack_icns(pngs: dict[int, bytes], types: Sequence[tuple[bytes, int]] = ICNS_TYPES) -> bytes:
    """An ICNS file with PNG elements (big-endian type + length headers, as Apple's iconutil writes).

    Args:
        pngs: PNG contents by size; must hold every size ``types`` names.
        types: (element type, pixel size) pairs.
    """
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in types
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_ico(data: bytes) -> list[tuple[int, bytes]]:
    """(size, payload) of each image in an ICO file (for checks)."""
    reserved, kind, count = struct.unpack_from("<HHH", data)
    if reserved != 0 or kind != 1:
        raise ValueError("not an ICO file")
    images = []
    for index in range(count):
        width, _h, _c, _r, _p, _bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        images.append((width or 256, data[offset:offset + length]))
    return images


def read_icns(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of each element of an ICNS file (for checks)."""
    if data[:4] != b"icns" or struct.unpack_from(">I", data, 4)[0] != len(data):
        raise ValueError("not an ICNS file")
    elements, offset = [], 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        elements.append((kind, data[offset + 8:offset + length]))
        offset += length
    return elements


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    return struct.unpack_from(">II", data, 16)


def make_icons(out_dir: Path, svg: Path = SOURCE) -> list[Path]:
    """Write every icon file into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = set(PNG_SIZES) | set(ICO_SIZES) | {size for _kind, size in ICNS_TYPES}
    pngs = render_pngs(svg, wanted)
    written = []
    for size in PNG_SIZES:
        written.append(_write(out_dir / f"mailroom-{size}.png", pngs[size]))
    written.append(_write(out_dir / "mailroom.png", pngs[256]))
    written.append(_write(out_dir / "mailroom.ico", pack_ico({s: pngs[s] for s in ICO_SIZES})))
    written.append(_write(out_dir / "mailroom.icns", pack_icns(pngs)))
    return written


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``make_icons.py [--out DIR] [--source SVG]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "icons", help="output folder")
    parser.add_argument("--source", type=Path, default=SOURCE, help="the SVG to render")
    args = parser.parse_args(argv)
    for path in make_icons(args.out, args.source):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
