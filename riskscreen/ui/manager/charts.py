"""A small grouped bar chart drawn with QPainter (QtCharts is not in PySide6-Essentials)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["BarChart", "ChartLayout"]

_SERIES_COLOURS = ("#5c6bc0", "#ef6c00", "#2e7d32", "#8e24aa")
#: Category names up to this wide are turned on their side under narrow columns; longer ones
#: (question texts) switch the chart to horizontal bars with the names written out in full.
_ROTATE_UP_TO = 150
_MARGIN = 6


@dataclass
class ChartLayout:
    """Where every part of a :class:`BarChart` goes at one size; painting and tests share it.

    ``labels`` hold each category's full text and the rectangle it is drawn in (for turned
    labels, the rectangle it covers on screen).
    """

    mode: str  # "columns", "turned" or "rows"
    height: int
    title: QRectF | None = None
    plot: QRectF = field(default_factory=QRectF)
    bars: list[tuple[QRectF, int]] = field(default_factory=list)  # (bar, series index)
    values: list[tuple[QRectF, str]] = field(default_factory=list)
    labels: list[tuple[QRectF, str]] = field(default_factory=list)
    legend: list[tuple[QRectF, QRectF, str]] = field(default_factory=list)


class BarChart(QWidget):
    """Bars per category, one per series, with the value written beside each bar.

    Values are text too (``labels``), so a suppressed count ("<5") can be drawn as a stub with
    its text: colour is never the only signal. Every category name is written in full: short
    ones under their column (turned on their side when there are many), long ones beside
    horizontal bars, in which case the chart asks for the height it needs.
    """

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.categories: list[str] = []
        self.series: list[tuple[str, list[int]]] = []
        self.labels: list[list[str]] | None = None
        self.setMinimumSize(280, 200)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAccessibleName(title or "Bar chart")

    def set_data(self, categories: list[str], series: list[tuple[str, list[int]]],
                 labels: list[list[str]] | None = None) -> None:
        """Replace what is drawn; ``labels[s][c]`` overrides the text beside a bar."""
        self.categories, self.series, self.labels = categories, series, labels
        self.setAccessibleDescription("; ".join(
            f"{name}: " + ", ".join(f"{c} {v}" for c, v in zip(categories, values,
                                                                 strict=False))
            for name, values in series))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """A comfortable default."""
        return QSize(480, max(260, self.heightForWidth(480)))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """Horizontal bars need more height the more categories there are."""
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        """The height every category name and bar needs at ``width``."""
        return max(self.minimumHeight(), self.chart_layout(width, 0).height)

    def _value_text(self, s: int, c: int) -> str:
        if self.labels is not None and s < len(self.labels) and c < len(self.labels[s]):
            return self.labels[s][c]
        values = self.series[s][1]
        return str(values[c] if c < len(values) else 0)

    def chart_layout(self, width: int | None = None, height: int | None = None) -> ChartLayout:
        """The layout at ``width`` x ``height`` (the widget's size by default); a height of 0
        asks only for the height needed."""
        width = self.width() if width is None else width
        height = self.height() if height is None else height
        fm = QFontMetrics(self.font())
        line = fm.height()
        y = float(_MARGIN)
        out = ChartLayout(mode="columns", height=0)
        if self.title:
            out.title = QRectF(0, y, width, line)
            y += line + 4
        x = float(_MARGIN)
        for name, _ in self.series:
            swatch = QRectF(x, y + 3, 12, line - 6)
            text = QRectF(x + 16, y, fm.horizontalAdvance(name) + 2, line)
            if text.right() > width - _MARGIN and x > _MARGIN:
                x = float(_MARGIN)
                y += line + 2
                swatch.moveTo(x, y + 3)
                text.moveTo(x + 16, y)
            out.legend.append((swatch, text, name))
            x = text.right() + 16
        if self.series:
            y += line + 6
        if not self.categories or not self.series:
            out.plot = QRectF(0, y, width, max(0.0, height - y))
            out.height = int(y + line + _MARGIN)
            return out
        widths = [fm.horizontalAdvance(c) for c in self.categories]
        n = len(self.categories)
        value_room = max(fm.horizontalAdvance(self._value_text(s, c))
                         for s in range(len(self.series)) for c in range(n)) + 4
        left = float(max(fm.horizontalAdvance(str(self._peak())), fm.horizontalAdvance("0"))
                     + 10)
        group = (width - left - _MARGIN) / n
        longest_word = max(fm.horizontalAdvance(w) for c in self.categories for w in c.split())
        wrap = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter)
        wrapped = max(fm.boundingRect(0, 0, max(1, int(group) - 4), 10_000, wrap, c).height()
                      for c in self.categories)
        if max(widths) + 4 <= group:
            out.mode = "columns"
            bottom_room = line + 4
        elif longest_word + 4 <= group and wrapped <= 3 * line:
            # A few long names: written on two or three lines under their columns.
            out.mode = "columns"
            bottom_room = wrapped + 4
        elif max(widths) <= _ROTATE_UP_TO and line + 2 <= group:
            out.mode = "turned"
            bottom_room = max(widths) + 8
        else:
            out.mode = "rows"
        if out.mode == "rows":
            self._rows_layout(out, fm, width, height, y, value_room)
            return out
        needed = y + line * 4 + bottom_room + _MARGIN
        out.height = int(needed)
        bottom = max(y + line * 2, (height or needed) - bottom_room - _MARGIN)
        out.plot = QRectF(left, y + line, width - left - _MARGIN, bottom - y - line)
        peak = self._peak()
        bar = max(3.0, min(40.0, (group - 6) / len(self.series)))
        for c, name in enumerate(self.categories):
            x0 = left + c * group + (group - bar * len(self.series)) / 2
            for s, (_, values) in enumerate(self.series):
                value = values[c] if c < len(values) else 0
                h = out.plot.height() * value / peak
                rect = QRectF(x0 + s * bar, bottom - h, bar - 1, h)
                out.bars.append((rect, s))
                value_text = self._value_text(s, c)
                tw = fm.horizontalAdvance(value_text) + 2
                out.values.append((QRectF(rect.center().x() - tw / 2, rect.top() - line, tw,
                                          line), value_text))
            if out.mode == "columns":
                out.labels.append((QRectF(left + c * group, bottom + 2, group,
                                          bottom_room - 4), name))
            else:
                cx = left + c * group + group / 2
                out.labels.append((QRectF(cx - line / 2, bottom + 4, line, widths[c] + 2),
                                   name))
        return out

    def _rows_layout(self, out: ChartLayout, fm: QFontMetrics, width: int, height: int,
                     y: float, value_room: int) -> None:
        label_width = min(max(fm.horizontalAdvance(c) for c in self.categories) + 8,
                          int(width * 0.5))
        flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignRight)
        peak = self._peak()
        left = _MARGIN + label_width + 6
        span = max(20.0, width - left - value_room - _MARGIN)
        out.plot = QRectF(left, y, span, 0)
        bar = max(6.0, fm.height() * 0.8)
        for c, name in enumerate(self.categories):
            text = fm.boundingRect(0, 0, label_width, 10_000, flags, name)
            row = max(text.height(), bar * len(self.series)) + 8
            out.labels.append((QRectF(_MARGIN, y + 4, label_width, text.height()), name))
            for s, (_, values) in enumerate(self.series):
                value = values[c] if c < len(values) else 0
                rect = QRectF(left, y + 4 + s * bar, span * value / peak, bar - 1)
                out.bars.append((rect, s))
                value_text = self._value_text(s, c)
                out.values.append((QRectF(rect.right() + 4, rect.center().y() - fm.height() / 2,
                                          value_room, fm.height()), value_text))
            y += row
        out.plot.setHeight(y - out.plot.top())
        out.height = int(y + _MARGIN)

    def _peak(self) -> int:
        return max([max(v) if v else 0 for _, v in self.series] + [1])

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Title, legend, axes, bars, values and category names."""
        g = self.chart_layout()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        p.fillRect(self.rect(), pal.base())
        p.setPen(text)
        if g.title is not None:
            bold = p.font()
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(g.title, Qt.AlignmentFlag.AlignHCenter, self.title)
            p.setFont(self.font())
        for swatch, rect, name in g.legend:
            s = next(i for i, (n, _) in enumerate(self.series) if n == name)
            p.fillRect(swatch, QColor(_SERIES_COLOURS[s % len(_SERIES_COLOURS)]))
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft, name)
        if not g.labels:
            p.drawText(g.plot, Qt.AlignmentFlag.AlignCenter, "No data yet")
            p.end()
            return
        p.setPen(QPen(text, 1))
        plot = g.plot
        if g.mode == "rows":
            p.drawLine(QPointF(plot.left(), plot.top()), QPointF(plot.left(), plot.bottom()))
        else:
            p.drawLine(plot.bottomLeft(), plot.bottomRight())
            p.drawLine(plot.topLeft(), plot.bottomLeft())
            p.drawText(QRectF(0, plot.top() - p.fontMetrics().height() / 2, plot.left() - 4,
                              p.fontMetrics().height()), Qt.AlignmentFlag.AlignRight,
                       str(self._peak()))
            p.drawText(QRectF(0, plot.bottom() - p.fontMetrics().height() / 2,
                              plot.left() - 4, p.fontMetrics().height()),
                       Qt.AlignmentFlag.AlignRight, "0")
        for rect, s in g.bars:
            p.fillRect(rect, QColor(_SERIES_COLOURS[s % len(_SERIES_COLOURS)]))
        for rect, value in g.values:
            p.drawText(rect, Qt.AlignmentFlag.AlignHCenter if g.mode != "rows"
                       else Qt.AlignmentFlag.AlignLeft, value)
        for rect, name in g.labels:
            if g.mode == "turned":
                p.save()
                p.translate(rect.center().x() - p.fontMetrics().ascent() / 2, rect.top())
                p.rotate(90)
                p.drawText(QPointF(0, 0), name)
                p.restore()
            elif g.mode == "rows":
                p.drawText(rect, int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignRight),
                           name)
            else:
                p.drawText(rect, int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter),
                           name)
        p.end()
