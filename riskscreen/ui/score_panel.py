"""The live, transparent score: level, total, what adds up to it, the rules, the model."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from riskscreen.scoring.assessment import Assessment, Contribution
from riskscreen.scoring.gaps import NOT_KNOWN_ANSWERS, not_known_tally
from riskscreen.ui.widgets import FlowLayout, LevelChip, upright_scroll

__all__ = ["ScorePanel"]

UNAVAILABLE = ("The scoring model is not available, so no level can be shown yet. You can "
               "still answer every question; your answers are kept.")
JUDGEMENT_NOTE = ("The level supports your professional judgement; it never replaces it. If "
                  "you are worried a child is in immediate danger, call 999.")


def _points(n: int) -> str:
    return f"{n} point{'s' if abs(n) != 1 else ''}"


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else f"−{abs(points)}" if points < 0 else "0"


def _line(c: Contribution) -> str:
    return f"{_signed(c.points)}   {c.label} — {c.answer_label}"


class ScorePanel(QFrame):
    """Shows an :class:`Assessment` as it changes; it can be collapsed out of the way."""

    collapsed_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scorePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Live score")
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("scoreToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setText("Live score")
        self.toggle.setToolTip("Show or hide the live score (Ctrl+J)")
        self.toggle.setAccessibleName("Show or hide the live score")
        self.toggle.setShortcut("Ctrl+J")

        self.body = QWidget(self)
        self.chip = LevelChip(self.body)
        self.total = QLabel(self.body)
        self.total.setObjectName("scoreTotal")
        self.total.setWordWrap(True)
        self.message = QLabel(self.body)
        self.message.setObjectName("scoreMessage")
        self.message.setWordWrap(True)
        self.rules_title = QLabel("Rules that set a minimum level", self.body)
        self.rules_title.setObjectName("panelHeading")
        self.rules_title.setWordWrap(True)
        self.rules = QLabel(self.body)
        self.rules.setObjectName("rulesFired")
        self.rules.setWordWrap(True)
        self.contributions_title = QLabel("What adds up to the total", self.body)
        self.contributions_title.setObjectName("panelHeading")
        self.contributions_title.setWordWrap(True)
        self.contributions = QListWidget(self.body)
        self.contributions.setObjectName("contributions")
        self.contributions.setAccessibleName("Answers that add up to the total")
        self.contributions.setWordWrap(True)
        self.contributions.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        self.not_known = QLabel(self.body)
        self.not_known.setWordWrap(True)
        self.model = QLabel(self.body)
        self.model.setObjectName("modelVersion")
        self.model.setWordWrap(True)
        note = QLabel(JUDGEMENT_NOTE, self.body)
        note.setObjectName("judgementNote")
        note.setWordWrap(True)

        # The chip goes under "Level:" when the panel is too narrow for both on one line.
        chip_row = FlowLayout(spacing=6)
        chip_row.addWidget(QLabel("Level:", self.body))
        chip_row.addWidget(self.chip)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(chip_row)
        body.addWidget(self.total)
        body.addWidget(self.message)
        body.addWidget(self.rules_title)
        body.addWidget(self.rules)
        body.addWidget(self.contributions_title)
        body.addWidget(self.contributions, 1)
        body.addWidget(self.not_known)
        body.addWidget(self.model)
        body.addWidget(note)
        # On a short screen (or at a large scale factor) the body scrolls instead of being
        # squeezed until its labels are cut off; its text wraps, so it never scrolls sideways.
        self.body_scroll = upright_scroll(self, self.body, "scoreScroll")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body_scroll, 1)
        self.toggle.toggled.connect(self._on_toggle_toggled)
        self.assessment: Assessment | None = None
        self.show_unavailable()

    def set_title(self, title: str) -> None:
        """"Live score" while answering; another title for a finalised screening."""
        self.toggle.setText(title)
        self._fit_width()

    def is_collapsed(self) -> bool:
        """Whether only the header is shown."""
        return not self.toggle.isChecked()

    def set_collapsed(self, collapsed: bool) -> None:
        """Show only the header, or everything."""
        self.toggle.setChecked(not collapsed)

    def collapsed_width(self) -> int:
        """The width that shows the whole header (its title is never cut short)."""
        margins = self.contentsMargins()
        layout = self.layout()
        inner = layout.contentsMargins() if layout is not None else margins
        return (self.toggle.sizeHint().width() + margins.left() + margins.right()
                + inner.left() + inner.right() + 2)

    def _fit_width(self) -> None:
        # Collapsed, the panel is only as wide as its header; expanded, as wide as allowed.
        self.setMaximumWidth(self.collapsed_width() if self.is_collapsed() else 16_777_215)

    def _on_toggle_toggled(self, expanded: bool) -> None:
        if not expanded:
            # Listeners remember the expanded layout before the panel shrinks.
            self.collapsed_changed.emit(True)
        self.body_scroll.setVisible(expanded)
        self.body.setVisible(expanded)
        self._fit_width()
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded:
            self.collapsed_changed.emit(False)

    def show_unavailable(self, message: str = UNAVAILABLE) -> None:
        """No score can be computed (no model, or answers it cannot score yet)."""
        self.assessment = None
        self.chip.clear_level("No level")
        self.total.setText("")
        self.message.setText(message)
        self.message.setVisible(True)
        for w in (self.rules_title, self.rules, self.contributions_title, self.contributions,
                  self.not_known, self.model):
            w.setVisible(False)

    def show_assessment(self, assessment: Assessment, *, final: bool = False,
                        unscored: Sequence[str] = (),
                        protective: str = "protective factors", answered: int = 0) -> None:
        """Show the level, total, contributions, rules fired and model version.

        ``final`` for a finalised screening's stored assessment; otherwise a level with
        questions still unanswered is shown as provisional. ``unscored`` names indicators
        answered "not known" that the model does not score: gaps too. ``protective`` is what
        the form calls its protective factors, in the plural. ``answered`` counts the
        questions shown that have an answer, scored or not (said while none that is scored has
        one).
        """
        self.assessment = assessment
        gaps = not_known_tally(assessment, unscored)
        draft = not final and assessment.override is None and gaps.unanswered > 0
        info = assessment.level_info(assessment.final_level)
        if draft and gaps.nothing_answered:
            label, text = gaps.no_level_words(answered)
            self.chip.clear_level(label)
        else:
            self.chip.set_level(info.id, info.name + (" (provisional)" if draft else ""),
                                info.colour)
            text = f"Total: {_points(assessment.score)}"
            if assessment.points_level != assessment.level:
                points = assessment.level_info(assessment.points_level).name
                text += f" (the points alone would give {points})"
            if draft:
                text += (". Provisional: the level may change as the questions not answered "
                         "yet are answered.")
        if assessment.override is not None and assessment.override.from_level is not None:
            earlier = assessment.level_info(assessment.override.from_level).name
            text += (f". Lowered from {earlier}, the level of the screening this amends, by "
                     "professional judgement with a manager's countersignature.")
        elif assessment.override is not None:
            computed = assessment.level_info().name
            text += f". Computed level {computed}, changed by professional judgement."
        self.total.setText(text)
        self.message.setVisible(False)
        self.rules_title.setVisible(True)
        self.rules.setVisible(True)
        if assessment.rules_fired:
            self.rules.setText("\n".join(
                f"• {assessment.level_info(r.minimum_level).name} at least: {r.reason}"
                for r in assessment.rules_fired))
        else:
            self.rules.setText("None applies.")
        self.contributions_title.setVisible(True)
        self.contributions.setVisible(True)
        self.contributions.clear()
        known = sorted((c for c in assessment.contributions
                        if c.points and c.answer not in NOT_KNOWN_ANSWERS),
                       key=lambda c: -c.points)
        for c in known:
            self.contributions.addItem(_line(c))
        if gaps.questions:
            # One line for every gap, with the points the score really counts for them.
            self.contributions.addItem(f"{_signed(gaps.counted)}   {gaps.sentence()}")
        for c in assessment.protective:
            if c.points:
                self.contributions.addItem(f"{_line(c)} ({protective})")
        if assessment.protective_applied:
            self.contributions.addItem(
                f"{protective[:1].upper()}{protective[1:]} took "
                f"{_points(assessment.protective_applied)} off the total.")
        if self.contributions.count() == 0:
            self.contributions.addItem("No answer adds points yet.")
        self.not_known.setVisible(bool(gaps.questions))
        self.not_known.setText(
            f"{gaps.questions} question{'s' if gaps.questions != 1 else ''} not known or not "
            "answered yet: finding out may change the level. Not knowing is a gap to follow "
            "up, not evidence of exploitation.")
        m = assessment.model
        self.model.setVisible(True)
        self.model.setText(f"Scoring model {m.id} version {m.version} (hash {m.short_hash})")
