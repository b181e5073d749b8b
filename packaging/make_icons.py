"""Render the application icon ``resources/icons/app.svg`` to ``app.png`` (256 px) and
``app.ico`` (16 to 256 px, for Windows).

The SVG is the source; run this after changing it. Qt's SVG renderer draws each size (small
sizes are drawn, not shrunk, so they stay sharp) and Pillow writes the ICO. macOS's ``.icns``
is made from the PNG by PyInstaller at build time.

    .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def main() -> None:
    """Write app.png and app.ico beside app.svg."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ICONS / "app.svg"))
    if not renderer.isValid():
        raise SystemExit("app.svg is not valid SVG")

    def render(size: int) -> Image.Image:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{size}.png"
            if not image.save(str(path)):
                raise SystemExit(f"could not render the icon at {size} px")
            return Image.open(path).convert("RGBA")

    images = {size: render(size) for size in ICO_SIZES}
    images[256].save(ICONS / "app.png", optimize=True)
    images[256].save(ICONS / "app.ico", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES[:-1]])
    del app
    print(f"wrote {ICONS / 'app.png'} and {ICONS / 'app.ico'}")


if __name__ == "__main__":
    main()
