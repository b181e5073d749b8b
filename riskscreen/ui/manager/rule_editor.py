"""The structured rule editor: a rule's level, reason, source and its conditions as rows of
choices (no free-form code). Nested groups the rows cannot show are kept as they are and
can only be removed."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from riskscreen.forms.model import FormDefinition, QuestionType
from riskscreen.services.models import describe_condition
from riskscreen.ui.widgets import fit_to_screen

__all__ = ["ClauseRow", "RuleDialog"]

#: Operators a row can edit, with the words shown.
OPERATORS = (("present", "was seen"), ("equals", "is"), ("greater_than", "is more than"),
             ("less_than", "is less than"), ("answered", "is answered"))


def windows_of(form: FormDefinition) -> tuple[tuple[str, str], ...]:
    """(windows as written in a rule, words) for a ``present`` clause: any time, recently
    (the recent window or both), or longer ago (the older window or both)."""
    w = form.time_windows
    return (("", "at any time"),
            (f"{w.recent.id},{w.both.id}", w.recent.label[:1].lower() + w.recent.label[1:]),
            (f"{w.older.id},{w.both.id}", w.older.label[:1].lower() + w.older.label[1:]))


class ClauseRow(QWidget):
    """One condition: [not] subject operator value, or a kept nested condition."""

    def __init__(self, clause: dict[str, Any], form: FormDefinition,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.kept: dict[str, Any] | None = None
        negated = "not" in clause
        inner = clause["not"] if negated else clause
        (op, arg), = inner.items()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.remove = QPushButton("Remove")
        # Enter in the dialog means OK, never "remove this condition".
        self.remove.setAutoDefault(False)
        if op not in dict(OPERATORS) or not isinstance(arg, dict):
            self.kept = clause
            text = QLabel(describe_condition(clause, form) + "  (kept as it is)")
            text.setWordWrap(True)
            layout.addWidget(text, 1)
            layout.addWidget(self.remove)
            return
        self.negate = QCheckBox("not")
        self.negate.setChecked(negated)
        self.subject = QComboBox()
        self.subject.setAccessibleName("Question")
        for derived in form.derived:
            self.subject.addItem(f"the child's {derived.id}", f"derived:{derived.id}")
        for q in form.questions():
            if q.type in (QuestionType.TEXT, QuestionType.LONG_TEXT):
                continue
            self.subject.addItem(q.text if len(q.text) < 70 else q.text[:67] + "…",
                                 f"question:{q.id}")
        key = (f"derived:{arg['derived']}" if "derived" in arg
               else f"question:{arg.get('question')}")
        self.subject.setCurrentIndex(max(0, self.subject.findData(key)))
        self.subject.setMaximumWidth(380)
        self.operator = QComboBox()
        self.operator.setAccessibleName("Test")
        for oid, words in OPERATORS:
            self.operator.addItem(words, oid)
        self.operator.setCurrentIndex(self.operator.findData(op))
        self.value = QLineEdit("" if arg.get("value") is None else str(arg["value"]))
        self.value.setAccessibleName("Value")
        self.value.setMaximumWidth(140)
        self.windows = QComboBox()
        self.windows.setAccessibleName("When")
        for wid, words in windows_of(form):
            self.windows.addItem(words, wid)
        self.windows.setCurrentIndex(max(0, self.windows.findData(
            ",".join(arg.get("windows") or []))))
        for w in (self.negate, self.subject, self.operator, self.value, self.windows):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.remove)
        self.operator.currentIndexChanged.connect(self._on_operator_current_index_changed)
        self._on_operator_current_index_changed()

    def _on_operator_current_index_changed(self, *_: int) -> None:
        op = self.operator.currentData()
        self.value.setVisible(op in ("equals", "greater_than", "less_than"))
        self.windows.setVisible(op == "present")

    def clause(self) -> dict[str, Any]:
        """The condition as model data."""
        if self.kept is not None:
            return copy.deepcopy(self.kept)
        kind, _, sid = str(self.subject.currentData()).partition(":")
        op = self.operator.currentData()
        arg: dict[str, Any] = {kind: sid}
        if op in ("equals", "greater_than", "less_than"):
            raw = self.value.text().strip()
            numeric = kind == "derived" or (
                self.form.question(sid).type is QuestionType.NUMBER)
            arg["value"] = int(raw) if numeric and raw.lstrip("-").isdigit() else raw
        if op == "present":
            if kind != "question":
                arg = {"question": sid}
            windows = self.windows.currentData()
            if windows:
                arg["windows"] = windows.split(",")
        node: dict[str, Any] = {op: arg}
        return {"not": node} if self.negate.isChecked() else node


class RuleDialog(QDialog):
    """Edit one rule through choices; :meth:`rule` gives the edited rule as data."""

    def __init__(self, rule: dict[str, Any], levels: list[tuple[str, str]],
                 form: FormDefinition, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rule")
        # On a small or scaled screen (1366x768 at 150 % is 910x512) the whole screen less
        # room for the title bar: 900x520 was taller than that screen.
        fit_to_screen(self, 900, 520)
        self.form = form
        self.rule_id = QLineEdit(str(rule.get("id", "")))
        self.rule_id.setAccessibleName("Rule id")
        self.minimum = QComboBox()
        self.minimum.setAccessibleName("Minimum level")
        for lid, name in levels:
            self.minimum.addItem(name, lid)
        self.minimum.setCurrentIndex(max(0, self.minimum.findData(rule.get("minimum"))))
        self.reason = QPlainTextEdit(str(rule.get("reason", "")))
        self.reason.setFixedHeight(60)
        self.reason.setAccessibleName("Reason shown to practitioners")
        self.source = QLineEdit(str(rule.get("source", "")))
        self.source.setAccessibleName("Source")
        self.combine = QComboBox()
        self.combine.addItem("all of these are true", "all")
        self.combine.addItem("any of these is true", "any")
        when = rule.get("when") or {"all": []}
        (op, arg), = when.items() if when else (("all", []),)
        clauses = arg if op in ("all", "any") else [when]
        self.combine.setCurrentIndex(1 if op == "any" else 0)
        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.addStretch(1)
        self.rows: list[ClauseRow] = []
        for c in clauses:
            self.add_row(c)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.rows_box)
        add = QPushButton("Add condition")
        add.setAutoDefault(False)
        add.clicked.connect(self._on_add_clicked)
        form_layout = QFormLayout()
        form_layout.addRow("Rule id:", self.rule_id)
        form_layout.addRow("At least this level:", self.minimum)
        form_layout.addRow("Reason (shown to users):", self.reason)
        form_layout.addRow("Where it comes from:", self.source)
        form_layout.addRow("When:", self.combine)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        # Enter (in any one-line field) accepts the rule.
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form_layout)
        layout.addWidget(scroll, 1)
        layout.addWidget(add)
        layout.addWidget(buttons)

    def add_row(self, clause: dict[str, Any]) -> ClauseRow:
        """Add one condition row."""
        row = ClauseRow(clause, self.form, self.rows_box)
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
        self.rows.append(row)
        row.remove.clicked.connect(lambda: self._remove(row))
        return row

    def _remove(self, row: ClauseRow) -> None:
        self.rows.remove(row)
        row.deleteLater()

    def _on_add_clicked(self) -> None:
        first = next(iter(self.form.questions())).id
        self.add_row({"present": {"question": first}})

    def rule(self) -> dict[str, Any]:
        """The edited rule as model data."""
        return {"id": self.rule_id.text().strip(), "minimum": self.minimum.currentData(),
                "reason": " ".join(self.reason.toPlainText().split()),
                "source": self.source.text().strip(),
                "when": {self.combine.currentData(): [r.clause() for r in self.rows]}}
