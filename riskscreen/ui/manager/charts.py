"""A small grouped bar chart drawn with QPainter (QtCharts is not in PySide6-Essentials)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["BarChart"]

_SERIES_COLOURS = ("#5c6bc0", "#ef6c00", "#2e7d32", "#8e24aa")


class BarChart(QWidget):
    """Bars per category, one per series, with the value written above each bar.

    Values are text too (``labels``), so a suppressed count ("<5") can be drawn as a hatched
    stub with its text: colour is never the only signal.
    """

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.categories: list[str] = []
        self.series: list[tuple[str, list[int]]] = []
        self.labels: list[list[str]] | None = None
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(title or "Bar chart")

    def set_data(self, categories: list[str], series: list[tuple[str, list[int]]],
                 labels: list[list[str]] | None = None) -> None:
        """Replace what is drawn; ``labels[s][c]`` overrides the text over a bar."""
        self.categories, self.series, self.labels = categories, series, labels
        self.setAccessibleDescription("; ".join(
            f"{name}: " + ", ".join(f"{c} {v}" for c, v in zip(categories, values,
                                                                 strict=False))
            for name, values in series))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """A comfortable default."""
        return QSize(480, 260)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Axes, bars, values, category names and the legend."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        p.fillRect(self.rect(), pal.base())
        fm = p.fontMetrics()
        line = fm.height()
        top = line * (2 if self.title else 1) + 4
        bottom = self.height() - line * 2 - 8
        left, right = 40, self.width() - 10
        if self.title:
            bold = p.font()
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(QRectF(0, 2, self.width(), line), Qt.AlignmentFlag.AlignHCenter,
                       self.title)
            p.setFont(self.font())
        if not self.categories or not self.series or bottom <= top:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No data yet")
            return
        peak = max([max(v) if v else 0 for _, v in self.series] + [1])
        p.setPen(QPen(text, 1))
        p.drawLine(left, bottom, right, bottom)
        p.drawLine(left, top, left, bottom)
        p.drawText(QRectF(0, top - line / 2, left - 4, line),
                   Qt.AlignmentFlag.AlignRight, str(peak))
        p.drawText(QRectF(0, bottom - line / 2, left - 4, line),
                   Qt.AlignmentFlag.AlignRight, "0")
        group = (right - left) / len(self.categories)
        bar = max(4.0, min(40.0, (group - 12) / len(self.series)))
        for c, name in enumerate(self.categories):
            x0 = left + c * group + (group - bar * len(self.series)) / 2
            for s, (_, values) in enumerate(self.series):
                value = values[c] if c < len(values) else 0
                h = (bottom - top - line) * value / peak
                rect = QRectF(x0 + s * bar, bottom - h, bar - 2, h)
                p.fillRect(rect, QColor(_SERIES_COLOURS[s % len(_SERIES_COLOURS)]))
                label = (self.labels[s][c] if self.labels is not None
                         else str(value))
                p.setPen(text)
                p.drawText(QRectF(rect.x() - 20, rect.y() - line, bar + 38, line),
                           Qt.AlignmentFlag.AlignHCenter, label)
            shown = fm.elidedText(name, Qt.TextElideMode.ElideRight, int(group) - 4)
            p.drawText(QRectF(left + c * group, bottom + 2, group, line),
                       Qt.AlignmentFlag.AlignHCenter, shown)
        x = float(left)
        y = self.height() - line - 4
        for s, (name, _) in enumerate(self.series):
            p.fillRect(QRectF(x, y + 3, 12, line - 6),
                       QColor(_SERIES_COLOURS[s % len(_SERIES_COLOURS)]))
            p.drawText(QRectF(x + 16, y, fm.horizontalAdvance(name) + 4, line),
                       Qt.AlignmentFlag.AlignLeft, name)
            x += 16 + fm.horizontalAdvance(name) + 20
        p.end()
