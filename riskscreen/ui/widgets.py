"""Small reusable widgets: the level chip and a collapsible "what to look for" box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

__all__ = ["ExpandableText", "LevelChip", "text_colour_for"]


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    value = background.lstrip("#")
    try:
        r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except (ValueError, IndexError):
        return "#000000"

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    # Contrast against white vs against black (WCAG formula); pick the larger.
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


class LevelChip(QLabel):
    """A risk level as a coloured chip that always carries the level's word too.

    Colour is never the only signal: the chip's text is the level name.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("levelChip")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.level_id: str | None = None
        self.clear_level()

    def set_level(self, level_id: str, name: str, colour: str, prefix: str = "") -> None:
        """Show a level: its name on its colour."""
        self.level_id = level_id
        self.setText(f"{prefix}{name}")
        fg = text_colour_for(colour)
        self.setStyleSheet(
            f"QLabel#levelChip {{ background: {colour}; color: {fg}; border-radius: 9px;"
            " padding: 2px 10px; font-weight: bold; }")
        self.setAccessibleName(f"Level: {name}")

    def clear_level(self, text: str = "No level yet") -> None:
        """Show that there is no level (for example a draft without a score)."""
        self.level_id = None
        self.setText(text)
        self.setStyleSheet(
            "QLabel#levelChip { border: 1px solid palette(mid); border-radius: 9px;"
            " padding: 2px 10px; }")
        self.setAccessibleName(text)


class ExpandableText(QWidget):
    """A button that shows or hides a block of guidance text ("What to look for")."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(f"{title}")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(title)
        self.body = QLabel(text, self)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setObjectName("helpText")
        self.body.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.toggle.toggled.connect(self._on_toggle_toggled)

    def _on_toggle_toggled(self, checked: bool) -> None:
        self.body.setVisible(checked)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)
