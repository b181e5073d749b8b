"""Controller: scores the answers on screen and shows the result.

An open screening is scored by the services (``session.screenings.preview`` with the
answers on screen), with its own stored model and the child's previous screening for the
trend, so the live level and trend are those finalising gives. Without a scorer (a view
shown on its own) the engine scores the answers in memory against ``previous``. Either takes
a few milliseconds, so it runs on the GUI thread on every change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Signal

from riskscreen.forms.answers import AnswerError, AnswerSet
from riskscreen.forms.model import FormDefinition
from riskscreen.forms.visibility import visible_answers
from riskscreen.scoring.assessment import Assessment
from riskscreen.scoring.gaps import unscored_not_known
from riskscreen.scoring.model import ScoringModel
from riskscreen.services import USER_ERRORS
from riskscreen.summary.build import protective_words
from riskscreen.ui.questionnaire import QuestionnaireView
from riskscreen.ui.score_panel import ScorePanel

__all__ = ["LiveScore", "shipped_model_for"]

log = logging.getLogger(__name__)


def shipped_model_for(form: FormDefinition) -> ScoringModel | None:
    """The newest shipped scoring model for a form, or None if none can be loaded."""
    try:
        from riskscreen.scoring.loader import load_model

        return load_model(form.id, form)
    except (ImportError, ValueError, KeyError, OSError) as error:
        log.warning("no scoring model available (%s)", type(error).__name__)
        return None
    except Exception as error:  # a DefinitionError or a model that does not fit the form
        log.warning("scoring model could not be loaded (%s)", type(error).__name__)
        return None


class LiveScore(QObject):
    """Keeps a :class:`ScorePanel` in step with a :class:`QuestionnaireView`."""

    scored = Signal(object)

    def __init__(self, view: QuestionnaireView, panel: ScorePanel, model: ScoringModel | None,
                 screening_date: date, previous: Assessment | None = None,
                 parent: QObject | None = None, *,
                 scorer: Callable[[Mapping[str, Any]], Assessment] | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.panel = panel
        self.model = model
        self.screening_date = screening_date
        self.previous = previous
        #: Scores the answers on screen as the services would (see the module's docstring).
        self.scorer = scorer
        self.assessment: Assessment | None = None
        view.answer_changed.connect(self._on_view_answer_changed)
        self.rescore()

    def _on_view_answer_changed(self, question_id: str, value: Any) -> None:
        self.rescore()

    def answer_set(self) -> AnswerSet:
        """The view's answers as the engine takes them."""
        form = self.view.form
        return AnswerSet(form=form.id, form_version=form.version,
                         screening_date=self.screening_date, answers=self.view.answers())

    def rescore(self) -> Assessment | None:
        """Score the current answers and repaint the panel."""
        if self.model is None:
            self.assessment = None
            self.panel.show_unavailable()
            return None
        try:
            if self.scorer is not None:
                self.assessment = self.scorer(self.view.answers())
            else:
                from riskscreen.scoring.engine import score

                self.assessment = score(self.view.form, self.model, self.answer_set(),
                                        self.previous)
        except USER_ERRORS as error:
            self.assessment = None
            self.panel.show_unavailable(str(error))
            return None
        except (AnswerError, ValueError, KeyError) as error:
            log.info("answers cannot be scored yet (%s)", type(error).__name__)
            self.assessment = None
            self.panel.show_unavailable("These answers cannot be scored yet. Check the "
                                        "answers marked as needing attention.")
            return None
        form = self.view.form
        visible = visible_answers(form, self.view.answers(), self.screening_date)
        self.panel.show_assessment(self.assessment,
                                   unscored=unscored_not_known(form, visible, self.assessment),
                                   protective=protective_words(form),
                                   answered=self.view.answered_count())
        self.scored.emit(self.assessment)
        return self.assessment
