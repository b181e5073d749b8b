"""Finding, reading and checking scoring models, shipped or local.

:func:`check_model` makes every check pydantic's per-node models cannot: levels and thresholds
in order, weights only for questions and answers the form has, an explicit "not known" weight
for every weighted indicator, and rules that can actually fire. Each problem carries the path
of the node at fault so ``riskscreen validate`` prints ``FILE:LINE: message (hint: ...)``.

Importing this module registers the ``scoring_model`` checker with :mod:`riskscreen.checks`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from riskscreen import checks
from riskscreen.conditions import AllOf, AnyOf, CheckScope, Node, Not
from riskscreen.definitions import (
    MODELS_FOLDER,
    DefinitionError,
    Located,
    Path_,
    Problem,
    data_file,
    load_yaml,
    read_text,
    shipped_instrument_ids,
    version_key,
)
from riskscreen.forms.loader import load_form, parse_definition
from riskscreen.forms.model import (
    NOT_KNOWN,
    FormDefinition,
    KindRole,
    Question,
    QuestionType,
)
from riskscreen.scoring.model import ScoringModel

__all__ = [
    "check_model",
    "load_model",
    "parse_model",
    "shipped_model_ids",
    "shipped_model_versions",
    "unweighted_indicators",
]

_INDICATOR_TYPES = (QuestionType.INDICATOR, QuestionType.TIME_WINDOW)
_CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
#: Ages are whole years from a date of birth on or before the screening date.
_AGE_RANGE = (0, 150)


# -- loading ----------------------------------------------------------------------------------


def shipped_model_ids() -> list[str]:
    """Ids of the scoring models shipped with RiskScreen: one per shipped instrument, named
    like it, its versions in the instrument's ``scoring/`` folder."""
    return [i for i in shipped_instrument_ids()
            if data_file("forms", i, MODELS_FOLDER).is_dir()]


def shipped_model_versions(model_id: str) -> list[str]:
    """Shipped versions of a model, oldest first."""
    if not model_id or model_id not in shipped_instrument_ids():
        return []
    folder = data_file("forms", model_id, MODELS_FOLDER)
    if not folder.is_dir():
        return []
    versions = [p.name.removesuffix(".yaml") for p in folder.iterdir()
                if p.name.endswith(".yaml")]
    return sorted(versions, key=version_key)


def parse_model(text: str, file: str, form: FormDefinition | None = None) -> ScoringModel:
    """Parse and fully check a model's YAML text; ``file`` names it in messages.

    With ``form``, the model is also checked against that form; without, against the shipped
    form it declares when one is available.
    """
    located = load_yaml(text, file)
    kind = located.data.get("kind")
    if kind != "scoring_model":
        raise DefinitionError(file, located.locate([Problem(
            f"expected 'kind: scoring_model', found {kind!r}", ("kind",),
            "a scoring model file starts with 'kind: scoring_model'")]))
    model = parse_definition(located, ScoringModel)
    if form is None:
        form = _shipped_form_for(model)
    problems = check_model(model, form)
    if problems:
        raise DefinitionError(file, located.locate(problems))
    return model


def load_model(source: str | Path, form: FormDefinition | None = None) -> ScoringModel:
    """Load a model from a file path, or a shipped model by id.

    ``cse-screening`` gives the newest shipped version; ``cse-screening@1.0.0`` (or
    ``cse-screening/1.0.0``) a given one. Raises :class:`DefinitionError` with located problems.
    """
    path = Path(source)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return parse_model(read_text(path), str(path), form)
    text = str(source).replace("/", "@")
    model_id, _, version = text.partition("@")
    versions = shipped_model_versions(model_id)
    if not versions or (version and version not in versions):
        known = ", ".join(f"{m}@{v}" for m in shipped_model_ids()
                          for v in shipped_model_versions(m)) or "none"
        raise DefinitionError(str(source), [Problem(
            f"no model file and no shipped scoring model called '{source}'", (),
            f"give a path to a .yaml file or one of: {known}", 1, str(source))])
    chosen = version or versions[-1]
    if form is None:
        return _load_shipped(model_id, chosen, False)
    if form is _shipped_form(model_id):
        return _load_shipped(model_id, chosen, True)
    return _parse_shipped(model_id, chosen, form)


def _shipped_form(form_id: str) -> FormDefinition | None:
    try:
        return load_form(form_id)
    except DefinitionError:
        return None


@lru_cache(maxsize=32)
def _load_shipped(model_id: str, version: str, with_form: bool) -> ScoringModel:
    """A shipped model version, checked against its shipped form given or found, parsed once
    per process: the files in the package do not change while it runs, a model is frozen,
    and reading one (YAML with line numbers, every check) takes a few hundred milliseconds
    that each new database, each scoring command and each self-test would pay again."""
    return _parse_shipped(model_id, version, _shipped_form(model_id) if with_form else None)


def _parse_shipped(model_id: str, version: str, form: FormDefinition | None) -> ScoringModel:
    node = data_file("forms", model_id, MODELS_FOLDER, f"{version}.yaml")
    return parse_model(read_text(node), f"forms/{model_id}/{MODELS_FOLDER}/{version}.yaml",
                       form)


def _shipped_form_for(model: ScoringModel) -> FormDefinition | None:
    try:
        form = load_form(model.form.id)
    except DefinitionError:
        return None
    return form if form.version in model.form.versions else None


# -- the validate checker ---------------------------------------------------------------------


def _check_file(located: Located, text: str, context: checks.CheckContext) -> list[Problem]:
    model = parse_definition(located, ScoringModel)
    problems = check_model(model, None)
    given = [f for (fid, _), f in context.forms.items() if fid == model.form.id]
    forms = [f for f in given if f.version in model.form.versions]
    for f in given:
        if f.version not in model.form.versions:
            problems.append(Problem(
                f"this model is applied to version {f.version} of form '{f.id}', which it "
                f"does not declare (it declares {', '.join(model.form.versions)})",
                ("form", "versions"),
                "check every weight and rule against that version, then add it to "
                "'versions:' in a new model version"))
    if not given:
        for version in model.form.versions:
            found = context.form(model.form.id, version)
            if found is not None:
                forms.append(found)
        if not forms:
            problems.append(Problem(
                f"form '{model.form.id}' version {' or '.join(model.form.versions)} was not "
                "found, so weights and rules could not be checked against it",
                ("form",), "give the form file on the same command line"))
    for f in forms:
        for p in check_model(model, f, form_only=True):
            if p not in problems:
                problems.append(p)
        context.checked.append(
            f"scoring model {model.id} {model.version} ({located.file}) against form "
            f"{f.id} {f.version}")
    if forms:
        problems += [_in_form(w) for w in unweighted_indicators(forms[-1], [model])]
    return located.locate(problems)


def _in_form(warning: Problem) -> Problem:
    """A warning about a form's question, reported against the model being checked."""
    return Problem(warning.message, ("weights",), warning.hint, None, "", warning.severity)


def unweighted_indicators(form: FormDefinition,
                          models: Sequence[ScoringModel]) -> list[Problem]:
    """Warnings for indicator questions that no model weights and no rule or review reads.

    Such a question changes nothing whatever the answer: usually a forgotten weight. Its
    "not known" is still listed as a gap to follow up. The paths point into the form.
    """
    used: set[str] = set()
    for model in models:
        used |= set(model.weights)
        used |= {b.question for b in model.bands if b.question is not None}
        for _, cond in model.conditions():
            used |= {sid for kind, sid in cond.subjects(form) if kind == "question"}
    out = []
    for si, section in enumerate(form.sections):
        for qi, q in enumerate(section.questions):
            if q.type in _INDICATOR_TYPES and q.role is not KindRole.CONTEXT and (
                    q.id not in used):
                names = ", ".join(f"{m.id} {m.version}" for m in models)
                out.append(Problem(
                    f"indicator '{q.id}' is not weighted by any scoring model ({names}) and "
                    "no rule names it, so its answer never changes the level",
                    ("sections", si, "questions", qi, "id"),
                    "add weights for it, or name it in a rule; a 'not known' answer to it is "
                    "still listed as a gap", severity="warning"))
    return out


checks.register("scoring_model", _check_file)


# -- the checks -------------------------------------------------------------------------------


def check_model(model: ScoringModel, form: FormDefinition | None,
                *, form_only: bool = False) -> list[Problem]:
    """Every problem in a structurally valid model; with ``form``, also against that form."""
    problems: list[Problem] = []
    if not form_only:
        problems += _check_levels(model)
        problems += _check_rules_structure(model)
    if form is not None:
        if form.id != model.form.id:
            problems.append(Problem(
                f"this model scores form '{model.form.id}', not '{form.id}'", ("form", "id"),
                "use a model written for this form"))
            return problems
        if form.version not in model.form.versions:
            problems.append(Problem(
                f"this model does not declare version {form.version} of form '{form.id}' "
                f"(it declares {', '.join(model.form.versions)})", ("form", "versions"),
                "check the model against that version, then list it in a new model version"))
            return problems
        problems += _check_weights(model, form)
        problems += _check_bands(model, form)
        problems += _check_floor(model, form)
        for path, cond in model.conditions():
            problems += _check_condition(cond, path, form)
        problems += _check_can_fire(model, form)
    return problems


def _check_levels(model: ScoringModel) -> list[Problem]:
    problems: list[Problem] = []
    ids = [lv.id for lv in model.levels]
    for i, lv in enumerate(model.levels):
        if lv.id in ids[:i]:
            problems.append(Problem(f"level id '{lv.id}' is repeated", ("levels", i, "id"),
                                    "give each level its own id"))
    expected = ids[1:]
    seen: list[str] = []
    last: int | None = None
    for i, th in enumerate(model.thresholds):
        path: Path_ = ("thresholds", i)
        if th.level not in ids:
            problems.append(Problem(f"threshold for unknown level '{th.level}'",
                                    (*path, "level"), "use one of: " + ", ".join(ids)))
            continue
        if th.level == ids[0]:
            problems.append(Problem(
                f"the lowest level '{th.level}' takes no threshold", (*path, "level"),
                "it applies below the first threshold; remove this entry"))
            continue
        if th.level in seen:
            problems.append(Problem(f"level '{th.level}' has two thresholds", (*path, "level"),
                                    "give each level one threshold"))
            continue
        seen.append(th.level)
        if last is not None and th.from_ <= last:
            problems.append(Problem(
                f"thresholds out of order: '{th.level}' starts at {th.from_}, not above the "
                f"previous level's {last}", (*path, "from"),
                "thresholds must rise strictly in the order of 'levels'"))
        last = th.from_
    if not problems and seen != expected:
        missing = [lv for lv in expected if lv not in seen]
        if missing:
            problems.append(Problem(f"no threshold for level '{missing[0]}'", ("thresholds",),
                                    "give every level except the lowest a threshold"))
        else:
            problems.append(Problem(
                "thresholds out of order: they must follow the order of 'levels' ("
                + ", ".join(expected) + ")", ("thresholds",), "reorder the entries"))
    if model.thresholds and model.thresholds[0].from_ <= 0 and not problems:
        problems.append(Problem(
            f"the first threshold is {model.thresholds[0].from_}: a screening with no points "
            "would not be at the lowest level", ("thresholds", 0, "from"),
            "start the first threshold at 1 or more"))
    for level_id in model.review.intervals:
        if level_id not in ids:
            problems.append(Problem(f"review interval for unknown level '{level_id}'",
                                    ("review", "intervals", level_id),
                                    "use one of: " + ", ".join(ids)))
    for level_id in ids:
        if level_id not in model.review.intervals:
            problems.append(Problem(f"no review interval for level '{level_id}'",
                                    ("review", "intervals"),
                                    f"add '{level_id}: {{months: N}}'"))
    if model.derived_from is not None and version_key(model.derived_from) >= version_key(
            model.version):
        problems.append(Problem(
            f"derived_from {model.derived_from} is not earlier than version {model.version}",
            ("derived_from",), "a new model version derives from an earlier one"))
    return problems


def _check_rules_structure(model: ScoringModel) -> list[Problem]:
    problems: list[Problem] = []
    ids = [lv.id for lv in model.levels]
    seen: set[str] = set()
    for i, rule in enumerate(model.rules):
        if rule.id in seen:
            problems.append(Problem(f"rule id '{rule.id}' is repeated", ("rules", i, "id"),
                                    "give each rule its own id"))
        seen.add(rule.id)
        if rule.minimum not in ids:
            problems.append(Problem(f"rule '{rule.id}' sets unknown level '{rule.minimum}'",
                                    ("rules", i, "minimum"), "use one of: " + ", ".join(ids)))
        elif rule.minimum == ids[0]:
            problems.append(Problem(
                f"rule '{rule.id}' can never fire: its minimum '{rule.minimum}' is the lowest "
                "level", ("rules", i, "minimum"),
                "a rule sets a minimum above the lowest level; raise it or remove the rule"))
    seen = set()
    for i, sooner in enumerate(model.review.sooner):
        if sooner.id in seen:
            problems.append(Problem(f"review id '{sooner.id}' is repeated",
                                    ("review", "sooner", i, "id"), "rename one"))
        seen.add(sooner.id)
    return problems


def _weight_problem(qid: str, message: str, answer: str | None, hint: str) -> Problem:
    path: Path_ = ("weights", qid) if answer is None else ("weights", qid, answer)
    return Problem(f"weights for '{qid}': {message}", path, hint)


def _check_weights(model: ScoringModel, form: FormDefinition) -> list[Problem]:
    index = form.question_index()
    problems: list[Problem] = []
    for qid, table in model.weights.items():
        q = index.get(qid)
        if q is None:
            problems.append(Problem(f"weights for unknown question '{qid}'", ("weights", qid),
                                    "check the question id against the form"))
            continue
        allowed = q.allowed_values()
        if allowed is None:
            problems.append(_weight_problem(
                qid, f"a {q.type.value} question cannot be weighted by answer", None,
                "weight number questions and derived values with 'bands:'"))
            continue
        for answer in table:
            if answer not in allowed:
                problems.append(_weight_problem(
                    qid, f"{answer!r} is not an answer this question offers", answer,
                    "use one of: " + ", ".join(allowed)))
        if q.type in _INDICATOR_TYPES:
            if NOT_KNOWN not in table:
                problems.append(_weight_problem(
                    qid, "no weight for 'not_known'", None,
                    "'not known' is never silently zero: write 'not_known: N' (0 is allowed "
                    "when written)"))
            problems += _check_order(q, table)
        elif q.type in _CHOICE_TYPES:
            missing = [o for o in q.option_ids() if o not in table]
            if missing:
                problems.append(_weight_problem(
                    qid, f"option '{missing[0]}' has no weight", None,
                    "weight every option of a weighted choice question (0 is allowed)"))
        protective = q.role is KindRole.PROTECTIVE
        for answer, points in table.items():
            if protective and points > 0:
                problems.append(_weight_problem(
                    qid, f"a protective factor cannot add points ({answer}: {points})", answer,
                    "protective factors reduce the score: use 0 or a negative number"))
            elif not protective and points < 0:
                problems.append(_weight_problem(
                    qid, f"only protective factors may reduce the score ({answer}: {points})",
                    answer, "use 0 or more, or make the question a protective factor"))
        if q.show_if is not None and not _feasible([q.show_if], form, set()):
            problems.append(_weight_problem(
                qid, "the question can never be shown, so its weights never count", None,
                "check the question's show_if in the form"))
    return problems


def _check_floor(model: ScoringModel, form: FormDefinition) -> list[Problem]:
    """The protective floor names kinds the form declares."""
    known = form.kind_roles()
    harm = form.kinds_with(KindRole.HARM)
    return [Problem(
        f"protective.floor_kinds names kind '{kind}', which form '{form.id}' does not declare",
        ("protective", "floor_kinds", i),
        "list the kinds whose points protective factors may not take away"
        + (f", e.g. floor_kinds: [{', '.join(harm)}]" if harm else ", or write floor_kinds: []"))
        for i, kind in enumerate(model.protective.floor_kinds) if kind not in known]


def _check_order(q: Question, table: dict[str, int]) -> list[Problem]:
    """Weights must keep "seen" worth at least "not known", and "recent" at least "older"."""
    def w(answer: str) -> int:
        return table.get(answer, 0)

    problems: list[Problem] = []
    absent = "no" if q.type is QuestionType.INDICATOR else "none"
    recent, older, both = q.windows.present_ids()
    present = ["yes"] if q.type is QuestionType.INDICATOR else [recent, older, both]
    if q.role is KindRole.PROTECTIVE:
        for p in present:
            if w(p) > w(NOT_KNOWN) or w(p) > w(absent):
                problems.append(_weight_problem(
                    q.id, f"'{p}' reduces the score less than '{absent}' or 'not_known'", p,
                    "a protective factor that is present reduces the score the most"))
        return problems
    for p in present:
        if w(p) < w(NOT_KNOWN):
            problems.append(_weight_problem(
                q.id, f"'{p}' ({w(p)}) counts less than 'not_known' ({w(NOT_KNOWN)})", p,
                "an indicator that was seen must count at least as much as one not known"))
        if w(p) < w(absent):
            problems.append(_weight_problem(
                q.id, f"'{p}' ({w(p)}) counts less than '{absent}' ({w(absent)})", p,
                "an indicator that was seen must count at least as much as one not seen"))
    if w(NOT_KNOWN) < w(absent):
        problems.append(_weight_problem(
            q.id, f"'not_known' counts less than '{absent}'", NOT_KNOWN,
            "not knowing is never better than knowing the indicator is absent"))
    if q.type is QuestionType.TIME_WINDOW:
        if w(recent) < w(older):
            problems.append(_weight_problem(
                q.id, f"'{recent}' ({w(recent)}) counts less than '{older}' ({w(older)})",
                recent, "a recent indicator counts at least as much as an older one"))
        if w(both) < w(recent):
            problems.append(_weight_problem(
                q.id, f"'{both}' ({w(both)}) counts less than '{recent}' ({w(recent)})", both,
                "seen in both periods counts at least as much as seen recently"))
    return problems


def _check_bands(model: ScoringModel, form: FormDefinition) -> list[Problem]:
    index = form.question_index()
    derived = {d.id for d in form.derived}
    problems: list[Problem] = []
    for i, bw in enumerate(model.bands):
        path: Path_ = ("bands", i)
        lo, hi = -math.inf, math.inf
        if bw.question is not None:
            q = index.get(bw.question)
            if q is None:
                problems.append(Problem(f"bands for unknown question '{bw.question}'",
                                        (*path, "question"), "check the question id"))
                continue
            if q.type is not QuestionType.NUMBER:
                problems.append(Problem(
                    f"bands need a number question, but '{q.id}' is {q.type.value}",
                    (*path, "question"), "weight answers of other questions under 'weights:'"))
                continue
            if q.role is KindRole.PROTECTIVE:
                problems.append(Problem("bands cannot weight a protective factor",
                                        (*path, "question"), "use 'weights:'"))
            lo = q.minimum if q.minimum is not None else -math.inf
            hi = q.maximum if q.maximum is not None else math.inf
        elif bw.derived not in derived:
            problems.append(Problem(f"bands for unknown derived value '{bw.derived}'",
                                    (*path, "derived"),
                                    "use one of: " + (", ".join(sorted(derived)) or "(none)")))
            continue
        else:
            lo, hi = _AGE_RANGE
        previous_to: float | None = None
        for j, band in enumerate(bw.bands):
            bpath: Path_ = (*path, "bands", j)
            if band.points < 0:
                problems.append(Problem("band points cannot be negative", (*bpath, "points"),
                                        "only protective factors reduce the score"))
            if previous_to is not None and band.from_ <= previous_to:
                problems.append(Problem(
                    f"band from {band.from_} overlaps or comes before the previous band",
                    (*bpath, "from"), "list bands in rising order without overlap"))
            previous_to = math.inf if band.to is None else band.to
            top = math.inf if band.to is None else band.to
            if band.from_ > hi or top < lo:
                problems.append(Problem(
                    f"band {band.describe()} can never apply: '{bw.subject}' is between "
                    f"{lo} and {hi}", bpath, "remove the band or fix its range"))
    return problems


# -- rule conditions --------------------------------------------------------------------------


def _check_condition(cond: Node, base: Path_, form: FormDefinition) -> list[Problem]:
    scope = CheckScope()
    problems: list[Problem] = []
    for node, path in cond.walk(base):
        problems += node.check(form, path, scope)
    return problems


# -- can a rule fire at all? ------------------------------------------------------------------


@dataclass
class _Ranges:
    """Integer ranges each numeric subject must fall in for a conjunction to hold."""

    bounds: dict[str, list[float]] = field(default_factory=dict)

    def narrow(self, subject: str, lo: float, hi: float) -> None:
        current = self.bounds.setdefault(subject, [-math.inf, math.inf])
        current[0] = max(current[0], lo)
        current[1] = min(current[1], hi)

    def empty(self) -> str | None:
        for subject, (lo, hi) in self.bounds.items():
            if lo > hi:
                return subject
        return None


def _leaves(nodes: Iterable[Node], form: FormDefinition, seen: set[str],
            out: list[Node], alternatives: list[AnyOf]) -> None:
    """Flatten a conjunction: leaves that must hold, and ``any`` nodes of which one must."""
    index = form.question_index()
    for node in nodes:
        if isinstance(node, AllOf):
            _leaves(node.all_, form, seen, out, alternatives)
            continue
        if isinstance(node, AnyOf):
            alternatives.append(node)
            continue
        if isinstance(node, Not):
            continue
        out.append(node)
        # A leaf about a question can only hold when that question is shown.
        subject = node.needed_question()
        q = index.get(subject) if subject else None
        if q is not None and q.show_if is not None and q.id not in seen:
            seen.add(q.id)
            _leaves([q.show_if], form, seen, out, alternatives)


def _feasible(nodes: Sequence[Node], form: FormDefinition, seen: set[str]) -> bool:
    """Whether a conjunction of conditions can hold for some answers (numeric ranges only).

    Sound but incomplete: ``False`` means it certainly never holds; ``True`` may be optimistic.
    """
    leaves: list[Node] = []
    alternatives: list[AnyOf] = []
    expanded = set(seen)
    _leaves(nodes, form, expanded, leaves, alternatives)
    ranges = _Ranges()
    for leaf in leaves:
        bounds = leaf.numeric_bounds(form)
        if bounds is not None:
            ranges.narrow(*bounds)
    if ranges.empty() is not None:
        return False
    if not alternatives:
        return True
    first, rest = alternatives[0], alternatives[1:]
    return any(_feasible([*leaves, child, *rest], form, expanded) for child in first.any_)


def _check_can_fire(model: ScoringModel, form: FormDefinition) -> list[Problem]:
    problems: list[Problem] = []
    for path, cond in model.conditions():
        if not _feasible([cond], form, set()):
            what = "rule" if path[0] == "rules" else "review entry"
            problems.append(Problem(
                f"this {what} can never apply: its conditions contradict each other or the "
                "show_if of a question they need (for example an impossible age range, or a "
                "question hidden for those answers)", path,
                "check the ages and the questions it names against the form's show_if"))
    return problems

