"""The condition language: one small pydantic model per operator.

A condition is a tree of data: ``all``, ``any`` and ``not`` combine nodes; ``equals``, ``in``,
``contains``, ``greater_than``, ``less_than`` and ``answered`` test one question's answer or one
derived value; ``present`` and ``count_present`` (scoring rules only) test indicators seen.
Every node knows

* its subjects (:meth:`subjects`), the questions and derived values it reads;
* how to hold for one screening (:meth:`compile`: a closure over the visible answers and the
  derived values, used by the forms and the explain executor; :meth:`evaluate` runs it once);
* how to hold for many at once (:meth:`columns`: a function of :class:`Columns` giving one
  boolean per screening, used by the batch executor);
* how to say itself in plain words (:meth:`describe`);
* how to check itself against a form (:meth:`check`).

Semantics, shared by both executors: a comparison is decided by the type of the question it
names (numbers and dates by value, choices and text by the answer word), an unanswered subject
makes every comparison false (and so ``not`` of it true), and a question hidden for these
answers counts as unanswered: callers remove hidden answers before evaluating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    TypeAdapter,
    model_validator,
)

from riskscreen.conditions.codes import MISSING, as_date, is_answered, is_number
from riskscreen.definitions import Path_, Problem, hinted
from riskscreen.forms.kinds import INDICATOR_TYPES, QuestionType

if TYPE_CHECKING:
    from riskscreen.forms.columns import Columns
    from riskscreen.forms.model import FormDefinition, Question

__all__ = [
    "FORM_OPERATORS",
    "PRESENT_WINDOWS",
    "RULE_OPERATORS",
    "AllOf",
    "Answered",
    "AnyOf",
    "CheckScope",
    "ColumnPredicate",
    "Comparison",
    "Condition",
    "Contains",
    "CountPresent",
    "Equals",
    "GreaterThan",
    "In",
    "LessThan",
    "Node",
    "Not",
    "Predicate",
    "Present",
    "PresentArg",
    "Ref",
    "Selection",
    "Subject",
    "parse_condition",
    "selected_questions",
]

#: An answer as read from an answer set (text, a number, a list of option ids, ...).
Answers = Mapping[str, object]
Derived = Mapping[str, object]
#: A compiled condition: (visible answers, derived values) -> holds?
Predicate = Callable[[Answers, Derived], bool]
Mask = NDArray[np.bool_]
#: A compiled condition over columns: one boolean per screening.
ColumnPredicate = Callable[["Columns"], Mask]
#: A subject: ("question" or "derived", id).
Ref = tuple[Literal["question", "derived"], str]
#: A value written in a condition.
Value = Annotated[str, Strict()] | Annotated[bool, Strict()] | int | float | date

#: The time-window answers that mean an indicator was seen, for a form with the default
#: windows; a form's own are ``form.time_windows.present_ids()``.
PRESENT_WINDOWS = ("recent", "older", "both")
#: A time window's id, as the form declares it.
Window = str
#: Operators a ``show_if`` may use; scoring rules may also use ``present`` and
#: ``count_present``.
FORM_OPERATORS = ("all", "any", "not", "equals", "in", "contains", "greater_than",
                  "less_than", "answered")
RULE_OPERATORS = (*FORM_OPERATORS, "present", "count_present")
_AGE_RANGE = (0, 150)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class CheckScope:
    """Where a condition is checked: a question's ``show_if`` or a scoring rule.

    The two read the same, but messages name the question whose condition it is, and a
    ``show_if`` may not use the rule-only operators.
    """

    def __init__(self, owner: str | None = None) -> None:
        self.owner = owner

    @property
    def rules(self) -> bool:
        """Whether this is a scoring rule (rule-only operators allowed)."""
        return self.owner is None

    def where(self, other: str | None = None) -> str:
        """``condition of 'q' on 'other'`` or ``condition on 'other'``."""
        if self.owner is None:
            return f"condition on '{other}'" if other else "condition"
        return f"condition of '{self.owner}'" + (f" on '{other}'" if other else "")


# -- operands ---------------------------------------------------------------------------------


class Subject(_Strict):
    """What is tested: a question's answer or a derived value (the child's age)."""

    question: str | None = None
    derived: str | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Subject:
        if (self.question is None) == (self.derived is None):
            raise ValueError(hinted(
                "a condition names exactly one of 'question' or 'derived'",
                "write 'question: <question id>' or 'derived: <derived value id>'"))
        return self

    @property
    def subject(self) -> str:
        """The id tested: a question id or a derived value id."""
        return self.question if self.question is not None else str(self.derived)

    @property
    def ref(self) -> Ref:
        """("question" or "derived", id)."""
        return ("question", self.question) if self.question is not None else (
            "derived", str(self.derived))


class Comparison(Subject):
    """A subject and the value (``values`` for ``in``) it is compared with."""

    value: Value | None = None
    values: list[Value] | None = None


# -- the nodes --------------------------------------------------------------------------------


class Node(_Strict):
    """What every node shares. ``operator`` is the key it is written under."""

    operator: ClassVar[str]

    def children(self) -> Sequence[Node]:
        """The nodes this one combines (none for a leaf)."""
        return ()

    def walk(self, path: Path_ = ()) -> Iterator[tuple[Node, Path_]]:
        """Every node of the tree with its path below ``path``, this node first."""
        yield self, path

    def subjects(self, form: FormDefinition | None = None) -> Iterator[Ref]:
        """Every question and derived value the tree reads (with ``form``, also the
        indicators a ``count_present`` counts)."""
        for child in self.children():
            yield from child.subjects(form)

    def evaluate(self, answers: Answers, derived: Derived, form: FormDefinition) -> bool:
        """Whether the condition holds for these visible answers and derived values."""
        return self.compile(form)(answers, derived)

    def compile(self, form: FormDefinition) -> Predicate:
        """A closure over (visible answers, derived values)."""
        raise NotImplementedError

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        """A function of visible columns giving one boolean per screening."""
        raise NotImplementedError

    def describe(self, form: FormDefinition | None = None) -> str:
        """The condition in plain words, for managers who do not read YAML."""
        raise NotImplementedError

    def check(self, form: FormDefinition, path: Path_, scope: CheckScope) -> list[Problem]:
        """Problems of this node (not its children) against ``form``; ``path`` is the node's."""
        return []

    def numeric_bounds(self, form: FormDefinition) -> tuple[str, float, float] | None:
        """(subject key, lowest, highest) a number must lie in for this leaf to hold, or None.

        Used to find rules that can never fire (for example ``age < 13`` and ``age > 14``).
        """
        return None

    def needed_question(self) -> str | None:
        """The question this leaf can only hold for when it is shown, if any."""
        return None


class _Group(Node):
    def _items(self) -> list[Condition]:
        raise NotImplementedError

    def children(self) -> Sequence[Node]:
        return self._items()

    def walk(self, path: Path_ = ()) -> Iterator[tuple[Node, Path_]]:
        yield self, path
        for i, child in enumerate(self._items()):
            yield from child.walk((*path, self.operator, i))

    @model_validator(mode="after")
    def _not_empty(self) -> _Group:
        if not self._items():
            raise ValueError(hinted(f"'{self.operator}' needs at least one condition",
                                    "add a condition"))
        return self

    def check(self, form: FormDefinition, path: Path_, scope: CheckScope) -> list[Problem]:
        return []


class AllOf(_Group):
    """Holds when every condition listed holds."""

    operator: ClassVar[str] = "all"
    all_: list[Condition] = Field(alias="all")

    def _items(self) -> list[Condition]:
        return self.all_

    def compile(self, form: FormDefinition) -> Predicate:
        parts = [c.compile(form) for c in self.all_]
        if len(parts) == 1:
            return parts[0]

        def all_of(a: Answers, d: Derived) -> bool:
            # A plain loop: measurably faster than all() over a generator on the hot path.
            for part in parts:  # noqa: SIM110
                if not part(a, d):
                    return False
            return True
        return all_of

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        parts = [c.columns(form) for c in self.all_]

        def all_of(cols: Columns) -> Mask:
            out = parts[0](cols)
            for part in parts[1:]:
                out = out & part(cols)
            return out
        return all_of

    def describe(self, form: FormDefinition | None = None) -> str:
        parts = [c.describe(form) for c in self.all_]
        if len(parts) == 1:
            return parts[0]
        return "all of: " + " and ".join(f"({p})" for p in parts)


class AnyOf(_Group):
    """Holds when at least one condition listed holds."""

    operator: ClassVar[str] = "any"
    any_: list[Condition] = Field(alias="any")

    def _items(self) -> list[Condition]:
        return self.any_

    def compile(self, form: FormDefinition) -> Predicate:
        parts = [c.compile(form) for c in self.any_]
        if len(parts) == 1:
            return parts[0]

        def any_of(a: Answers, d: Derived) -> bool:
            for part in parts:  # noqa: SIM110 - faster than any() on the hot path
                if part(a, d):
                    return True
            return False
        return any_of

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        parts = [c.columns(form) for c in self.any_]

        def any_of(cols: Columns) -> Mask:
            out = parts[0](cols)
            for part in parts[1:]:
                out = out | part(cols)
            return out
        return any_of

    def describe(self, form: FormDefinition | None = None) -> str:
        parts = [c.describe(form) for c in self.any_]
        if len(parts) == 1:
            return parts[0]
        return "any of: " + " or ".join(f"({p})" for p in parts)


class Not(Node):
    """Holds when the condition it holds does not."""

    operator: ClassVar[str] = "not"
    not_: Condition = Field(alias="not")

    def children(self) -> Sequence[Node]:
        return (self.not_,)

    def walk(self, path: Path_ = ()) -> Iterator[tuple[Node, Path_]]:
        yield self, path
        yield from self.not_.walk((*path, "not"))

    def compile(self, form: FormDefinition) -> Predicate:
        inner = self.not_.compile(form)
        return lambda a, d: not inner(a, d)

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        inner = self.not_.columns(form)
        return lambda cols: ~inner(cols)

    def describe(self, form: FormDefinition | None = None) -> str:
        return f"it is not the case that {self.not_.describe(form)}"


# -- leaves about one subject -----------------------------------------------------------------


def _never(_: Answers, __: Derived) -> bool:
    return False


def _never_columns(cols: Columns) -> Mask:
    return np.zeros(cols.size, dtype=np.bool_)


def _question(form: FormDefinition | None, qid: str | None) -> Question | None:
    if form is None or qid is None:
        return None
    return form.question_index().get(qid)


def _subject_words(arg: Subject, form: FormDefinition | None) -> str:
    if arg.derived is not None:
        return f"the child's {arg.derived}"
    q = _question(form, arg.question)
    if q is None:
        return f"'{arg.question}'"
    words = q.text.rstrip("?")
    return f"“{words if len(words) <= 70 else words[:67] + '…'}”"


def _value_words(arg: Subject, value: object, form: FormDefinition | None) -> str:
    q = _question(form, arg.question)
    return q.label_of(str(value)) if q is not None else str(value)


def one_of(codes: NDArray[np.int64], wanted: Sequence[int]) -> Mask:
    """Where ``codes`` is one of ``wanted`` (a few comparisons: faster than ``np.isin``)."""
    values = sorted(set(wanted))
    if not values:
        return np.zeros(codes.shape, dtype=np.bool_)
    if values == list(range(values[0], values[-1] + 1)):
        if len(values) == 1:
            out: Mask = codes == values[0]
            return out
        low: Mask = codes >= values[0]
        return low & (codes <= values[-1])
    out = codes == values[0]
    for v in values[1:]:
        out |= codes == v
    return out


def _subject_codes(arg: Subject, cols: Columns) -> NDArray[np.int64]:
    return cols.column(arg.subject) if arg.question is not None else cols.derived_value(
        arg.subject)


class _Leaf(Node):
    """A node testing one subject."""

    def arg(self) -> Subject:
        """The operand."""
        raise NotImplementedError

    def subjects(self, form: FormDefinition | None = None) -> Iterator[Ref]:
        yield self.arg().ref

    def needed_question(self) -> str | None:
        return self.arg().question

    def check(self, form: FormDefinition, path: Path_, scope: CheckScope) -> list[Problem]:
        arg = self.arg()
        op_path: Path_ = (*path, self.operator)
        if arg.derived is not None:
            derived = [d.id for d in form.derived]
            if arg.derived not in derived:
                known = ", ".join(derived) or "(none declared)"
                return [Problem(f"{scope.where()} names unknown derived value '{arg.derived}'",
                                (*op_path, "derived"),
                                ("declare it under 'derived:' or use one of: " if scope.owner
                                 else "use one of: ") + known)]
            return self._check_derived(op_path, scope)
        q = _question(form, arg.question)
        if q is None:
            return [Problem(f"{scope.where()} names unknown question '{arg.question}'",
                            (*op_path, "question"),
                            "check the spelling of the question id" if scope.owner
                            else "check the question id against the form")]
        return self._check_question(q, op_path, scope)

    def _check_derived(self, path: Path_, scope: CheckScope) -> list[Problem]:
        return []

    def _check_question(self, q: Question, path: Path_, scope: CheckScope) -> list[Problem]:
        return []


class Answered(_Leaf):
    """Holds when the subject has an answer (or the derived value can be worked out)."""

    operator: ClassVar[str] = "answered"
    answered: Subject

    def arg(self) -> Subject:
        return self.answered

    def compile(self, form: FormDefinition) -> Predicate:
        key = self.answered.subject
        if self.answered.derived is not None:
            return lambda a, d: d.get(key) is not None
        return lambda a, d: is_answered(a.get(key))

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        arg = self.answered
        q = _question(form, arg.question)
        empty = 0 if q is not None and q.type not in (QuestionType.NUMBER,
                                                      QuestionType.DATE) else MISSING
        return lambda cols: _subject_codes(arg, cols) != empty

    def describe(self, form: FormDefinition | None = None) -> str:
        return f"{_subject_words(self.answered, form)} is answered"


#: How a comparison reads a value of each question type: "number", "date", "word" (choices
#: and text: the answer as written) or "options" (multiple choice).
def _reading(q: Question | None) -> str:
    if q is None:
        return "number"  # derived values are whole numbers
    if q.type is QuestionType.NUMBER:
        return "number"
    if q.type is QuestionType.DATE:
        return "date"
    if q.type is QuestionType.MULTIPLE_CHOICE:
        return "options"
    return "word"


class _Compare(_Leaf):
    """A comparison of a subject with ``value`` (or ``values``)."""

    def arg(self) -> Comparison:
        raise NotImplementedError

    def operand(self) -> Comparison:
        """The comparison: subject and value(s)."""
        return self.arg()

    def wanted(self) -> list[object]:
        """The values compared with."""
        arg = self.arg()
        return list(arg.values or []) if self.operator == "in" else [arg.value]

    @model_validator(mode="after")
    def _has_value(self) -> _Compare:
        arg = self.arg()
        if self.operator == "in":
            if not arg.values:
                raise ValueError(hinted("'in' needs a non-empty 'values' list",
                                        "write 'values: [a, b]'"))
        elif arg.value is None:
            raise ValueError(hinted(f"'{self.operator}' needs a 'value'", "add 'value: ...'"))
        return self

    def _check_derived(self, path: Path_, scope: CheckScope) -> list[Problem]:
        arg = self.arg()
        bad = [v for v in self.wanted() if not is_number(v)]
        if self.operator == "contains" and scope.owner:
            return [Problem(f"{scope.where()}: 'contains' needs a multiple-choice question, "
                            f"not derived value '{arg.derived}'", path,
                            "use equals, greater_than or less_than")]
        if bad or self.operator == "contains":
            if scope.owner:
                return [Problem(f"{scope.where()} compares derived value '{arg.derived}' (a "
                                f"number) with {bad[0]!r}", path, "compare numbers with numbers")]
            return [Problem(f"'{self.operator}' on derived value '{arg.derived}' (a number) "
                            f"with {(bad or [None])[0]!r}", path, "compare numbers with numbers")]
        return []

    def _check_question(self, other: Question, path: Path_, scope: CheckScope) -> list[Problem]:
        where = scope.where(other.id)
        op = self.operator
        allowed = other.allowed_values()
        reading = _reading(other)
        if op in ("greater_than", "less_than"):
            value = self.arg().value
            if reading not in ("number", "date"):
                return [Problem(f"{where}: '{op}' compares order, but '{other.id}' is a "
                                f"{other.type.value} question", path,
                                "use equals or in for choices and indicators")]
            if reading == "number" and not is_number(value):
                return [Problem(f"{where}: compares a number with {value!r}", path,
                                "write a number as the value")]
            if reading == "date" and as_date(value) is None:
                return [Problem(f"{where}: compares a date with {value!r}", path,
                                "write the value as an ISO date, e.g. 2024-01-31")]
            return []
        if op == "contains":
            value = self.arg().value
            if reading != "options":
                return [Problem(f"{where}: 'contains' needs a multiple-choice question, but "
                                f"'{other.id}' is {other.type.value}", path,
                                "use equals for a single answer")]
            if value not in other.option_ids():
                return [_not_offered(where, other, value, path)]
            return []
        if reading == "options":
            return [Problem(f"{where}: '{other.id}' allows several answers; '{op}' cannot test "
                            "it", path,
                            "use 'contains' to test one option of a multiple-choice question")]
        for v in self.wanted():
            if allowed is not None:
                if v not in allowed:
                    return [_not_offered(where, other, v, path)]
            elif reading == "number" and not is_number(v):
                return [Problem(f"{where}: compares a number with {v!r}", path,
                                "write a number")]
            elif reading == "word" and not isinstance(v, str):
                return [Problem(f"{where}: compares text with {v!r}", path, "quote the value")]
            elif reading == "date" and as_date(v) is None:
                return [Problem(f"{where}: compares a date with {v!r}", path,
                                "write an ISO date")]
        return []

    def numeric_bounds(self, form: FormDefinition) -> tuple[str, float, float] | None:
        arg = self.arg()
        if arg.derived is not None:
            if arg.derived not in {d.id for d in form.derived}:
                return None
            key, lo, hi = "derived:" + arg.derived, float(_AGE_RANGE[0]), float(_AGE_RANGE[1])
        else:
            q = _question(form, arg.question)
            if q is None or q.type is not QuestionType.NUMBER:
                return None
            key = "question:" + q.id
            lo = float(q.minimum) if q.minimum is not None else -np.inf
            hi = float(q.maximum) if q.maximum is not None else np.inf
        numbers = [float(v) for v in self.wanted() if is_number(v)]  # type: ignore[arg-type]
        if not numbers:
            return key, lo, hi
        if self.operator == "greater_than":
            return key, max(lo, float(np.floor(numbers[0]) + 1)), hi
        if self.operator == "less_than":
            return key, lo, min(hi, float(np.ceil(numbers[0]) - 1))
        if self.operator in ("equals", "in"):
            return key, max(lo, min(numbers)), min(hi, max(numbers))
        return key, lo, hi


def _not_offered(where: str, other: Question, value: object, path: Path_) -> Problem:
    allowed = other.allowed_values() or ()
    return Problem(f"{where}: {value!r} is not an answer '{other.id}' offers", path,
                   "use one of: " + ", ".join(allowed))


def _matcher(reading: str, wanted: list[object]) -> Callable[[object], bool] | None:
    """A test of one answer against the values of ``equals``/``in``; None if none can match."""
    if reading == "number":
        numbers = [v for v in wanted if is_number(v)]
        if not numbers:
            return None
        return lambda v: is_number(v) and v in numbers
    if reading == "date":
        days = {d for d in map(as_date, wanted) if d is not None}
        if not days:
            return None
        return lambda v: as_date(v) in days
    if reading == "word":
        words = frozenset(v for v in wanted if isinstance(v, str) and is_answered(v))
        if not words:
            return None
        if len(words) == 1:
            (word,) = words
            return lambda v: v == word
        return lambda v: isinstance(v, str) and v in words
    return None


def _code_set(reading: str, q: Question | None, wanted: list[object],
              cols: Columns, subject: str) -> list[int]:
    """The codes that match ``equals``/``in`` values in one column."""
    if reading == "number":
        return [int(v) for v in wanted if (isinstance(v, int) and not isinstance(v, bool))
                or (isinstance(v, float) and v.is_integer())]
    if reading == "date":
        return [d.toordinal() for d in map(as_date, wanted) if d is not None]
    allowed = q.allowed_values() if q is not None else None
    words = [v for v in wanted if isinstance(v, str) and is_answered(v)]
    if allowed is not None:
        return [allowed.index(w) + 1 for w in words if w in allowed]
    return [c for w in words for c in cols.text_codes(subject, w)]


class _Match(_Compare):
    """``equals`` and ``in``: the answer is (one of) the values."""

    def compile(self, form: FormDefinition) -> Predicate:
        arg = self.arg()
        q = _question(form, arg.question)
        test = _matcher(_reading(q), self.wanted())
        if test is None:
            return _never
        key = arg.subject
        if arg.derived is not None:
            return lambda a, d: test(d.get(key))
        return lambda a, d: test(a.get(key))

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        arg = self.arg()
        q = _question(form, arg.question)
        reading = _reading(q)
        if reading == "options" or _matcher(reading, self.wanted()) is None:
            return _never_columns
        wanted = self.wanted()

        def match(cols: Columns) -> Mask:
            codes = _code_set(reading, q, wanted, cols, arg.subject)
            return one_of(_subject_codes(arg, cols), codes)
        return match


class Equals(_Match):
    """Holds when the answer is the value."""

    operator: ClassVar[str] = "equals"
    equals: Comparison

    def arg(self) -> Comparison:
        return self.equals

    def describe(self, form: FormDefinition | None = None) -> str:
        return (f"{_subject_words(self.equals, form)} is "
                f"{_value_words(self.equals, self.equals.value, form)}")


class In(_Match):
    """Holds when the answer is one of the values."""

    operator: ClassVar[str] = "in"
    in_: Comparison = Field(alias="in")

    def arg(self) -> Comparison:
        return self.in_

    def describe(self, form: FormDefinition | None = None) -> str:
        values = ", ".join(_value_words(self.in_, v, form) for v in self.in_.values or [])
        return f"{_subject_words(self.in_, form)} is one of: {values}"


class Contains(_Compare):
    """Holds when a multiple-choice answer includes the option."""

    operator: ClassVar[str] = "contains"
    contains: Comparison

    def arg(self) -> Comparison:
        return self.contains

    def compile(self, form: FormDefinition) -> Predicate:
        q = _question(form, self.contains.question)
        if _reading(q) != "options":
            return _never
        item, key = self.contains.value, self.contains.subject
        return lambda a, d: isinstance(v := a.get(key), (list, tuple)) and item in v

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        q = _question(form, self.contains.question)
        if q is None or _reading(q) != "options" or self.contains.value not in q.option_ids():
            return _never_columns
        bit = 1 << q.option_ids().index(str(self.contains.value))
        key = self.contains.subject
        return lambda cols: (cols.column(key) & bit) != 0

    def numeric_bounds(self, form: FormDefinition) -> tuple[str, float, float] | None:
        return None

    def describe(self, form: FormDefinition | None = None) -> str:
        return (f"{_subject_words(self.contains, form)} includes "
                f"{_value_words(self.contains, self.contains.value, form)}")


class _Order(_Compare):
    """``greater_than`` and ``less_than`` on numbers, dates and derived values."""

    greater: ClassVar[bool]
    words: ClassVar[str]

    def compile(self, form: FormDefinition) -> Predicate:
        arg = self.arg()
        key, greater = arg.subject, self.greater
        reading = _reading(_question(form, arg.question))
        bound = arg.value
        if reading == "number" and is_number(bound):
            limit = float(bound)  # type: ignore[arg-type]
            # ``type(v) is int`` rather than isinstance: True and False are not numbers here.
            if arg.derived is not None and greater:
                return lambda a, d: (type(v := d.get(key)) is int or type(v) is float) and (
                    v > limit)
            if arg.derived is not None:
                return lambda a, d: (type(v := d.get(key)) is int or type(v) is float) and (
                    v < limit)
            if greater:
                return lambda a, d: (type(v := a.get(key)) is int or type(v) is float) and (
                    v > limit)
            return lambda a, d: (type(v := a.get(key)) is int or type(v) is float) and (
                v < limit)
        day = as_date(bound)
        if reading != "date" or day is None:
            return _never

        def compare_dates(a: Answers, d: Derived) -> bool:
            left = as_date(a.get(key))
            if left is None:
                return False
            return left > day if greater else left < day
        return compare_dates

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        arg = self.arg()
        reading = _reading(_question(form, arg.question))
        bound = arg.value
        limit: float
        if reading == "number" and is_number(bound):
            limit = float(bound)  # type: ignore[arg-type]
        elif reading == "date" and (day := as_date(bound)) is not None:
            limit = float(day.toordinal())
        else:
            return _never_columns
        greater = self.greater

        def order(cols: Columns) -> Mask:
            codes = _subject_codes(arg, cols)
            held: Mask = (codes > limit) if greater else (codes < limit)
            known: Mask = codes != MISSING
            return held & known
        return order

    def describe(self, form: FormDefinition | None = None) -> str:
        arg = self.arg()
        return f"{_subject_words(arg, form)} {self.words} {_value_words(arg, arg.value, form)}"


class GreaterThan(_Order):
    """Holds when a number, date or age is above the value."""

    operator: ClassVar[str] = "greater_than"
    greater: ClassVar[bool] = True
    words: ClassVar[str] = "is more than"
    greater_than: Comparison

    def arg(self) -> Comparison:
        return self.greater_than


class LessThan(_Order):
    """Holds when a number, date or age is below the value."""

    operator: ClassVar[str] = "less_than"
    greater: ClassVar[bool] = False
    words: ClassVar[str] = "is less than"
    less_than: Comparison

    def arg(self) -> Comparison:
        return self.less_than


# -- indicators seen (scoring rules) ----------------------------------------------------------


class _RuleOnly(Node):
    def check(self, form: FormDefinition, path: Path_, scope: CheckScope) -> list[Problem]:
        if not scope.rules:
            return [Problem(f"unknown condition operator '{self.operator}'", path,
                            "use one of: " + ", ".join(FORM_OPERATORS)
                            + f" ('{self.operator}' is for scoring rules)")]
        return self._check(form, (*path, self.operator))

    def _check(self, form: FormDefinition, path: Path_) -> list[Problem]:
        return []


def _seen_words(q: Question, windows: Sequence[str] | None) -> tuple[str, ...]:
    if q.type is QuestionType.INDICATOR:
        return ("yes",)
    return tuple(windows) if windows is not None else q.windows.present_ids()


def _check_windows(form: FormDefinition, windows: Sequence[str] | None,
                   path: Path_) -> list[Problem]:
    """Every window named must be one of the form's."""
    known = form.time_windows.present_ids()
    return [Problem(f"unknown time window '{w}'", (*path, "windows", i),
                    "use one of the form's windows: " + ", ".join(known))
            for i, w in enumerate(windows or ()) if w not in known]


def _seen_codes(q: Question, windows: Sequence[str] | None) -> list[int]:
    allowed = q.allowed_values() or ()
    return [allowed.index(w) + 1 for w in _seen_words(q, windows) if w in allowed]


class PresentArg(_Strict):
    """The operand of ``present``: a question, and which time windows count."""

    question: str
    windows: list[Window] | None = Field(
        default=None,
        description="For time-window questions: which of the form's windows count (default "
        "all three, e.g. recent, older, both). An indicator question counts 'yes' whatever "
        "the windows.")


class Present(_RuleOnly):
    """Holds when an indicator is visible and answered as seen: "yes", or in the windows."""

    operator: ClassVar[str] = "present"
    present: PresentArg

    def subjects(self, form: FormDefinition | None = None) -> Iterator[Ref]:
        yield ("question", self.present.question)

    def needed_question(self) -> str | None:
        return self.present.question

    def compile(self, form: FormDefinition) -> Predicate:
        q = _question(form, self.present.question)
        if q is None:
            return _never
        values, qid = _seen_words(q, self.present.windows), q.id
        return lambda a, d: a.get(qid) in values

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        q = _question(form, self.present.question)
        if q is None:
            return _never_columns
        codes, qid = _seen_codes(q, self.present.windows), q.id
        return lambda cols: one_of(cols.column(qid), codes)

    def describe(self, form: FormDefinition | None = None) -> str:
        windows = self.present.windows
        when = (" (" + " or ".join(windows) + ")") if windows else ""
        return f"{_subject_words(Subject(question=self.present.question), form)} was seen{when}"

    def _check(self, form: FormDefinition, path: Path_) -> list[Problem]:
        q = _question(form, self.present.question)
        if q is None:
            return [Problem(f"'present' names unknown question '{self.present.question}'",
                            (*path, "question"), "check the question id against the form")]
        if q.type not in INDICATOR_TYPES:
            return [Problem(f"'present' needs an indicator or time-window question, but "
                            f"'{q.id}' is {q.type.value}", (*path, "question"),
                            "use equals or in to test other answers")]
        if self.present.windows is not None and q.type is QuestionType.INDICATOR:
            return [Problem(f"'windows' only applies to time-window questions; '{q.id}' is "
                            "yes/no", (*path, "windows"), "remove 'windows'")]
        return _check_windows(form, self.present.windows, path)


class Selection(_Strict):
    """A count of visible indicators answered as seen; every filter given must match."""

    kinds: list[str] | None = None
    concerns: list[str] | None = None
    sections: list[str] | None = None
    questions: list[str] | None = None
    windows: list[Window] | None = None
    at_least: Annotated[int, Strict(), Field(ge=1)] = 1

    def describe(self) -> str:
        """``at least 2 indicators (sections: …) were seen``."""
        filters = [f"{name}: {', '.join(map(str, values))}" for name, values in (
            ("kinds", self.kinds), ("concerns", self.concerns),
            ("sections", self.sections), ("questions", self.questions),
            ("windows", self.windows)) if values]
        which = f" ({'; '.join(filters)})" if filters else ""
        return f"at least {self.at_least} indicators{which} were seen"


def selected_questions(selection: Selection, form: FormDefinition) -> list[Question]:
    """The indicator questions a ``count_present`` looks at, in form order."""
    out = []
    for section in form.sections:
        if selection.sections is not None and section.id not in selection.sections:
            continue
        for q in section.questions:
            if q.type not in INDICATOR_TYPES:
                continue
            if selection.kinds is not None and q.kind not in selection.kinds:
                continue
            if selection.concerns is not None and q.concern not in selection.concerns:
                continue
            if selection.questions is not None and q.id not in selection.questions:
                continue
            out.append(q)
    return out


class CountPresent(_RuleOnly):
    """Holds when at least ``at_least`` visible indicators matching the filters were seen."""

    operator: ClassVar[str] = "count_present"
    count_present: Selection

    def subjects(self, form: FormDefinition | None = None) -> Iterator[Ref]:
        if form is not None:
            for q in selected_questions(self.count_present, form):
                yield ("question", q.id)

    def compile(self, form: FormDefinition) -> Predicate:
        sel = self.count_present
        # Indicator answers are never window words and time-window answers never "yes", so
        # one set of "seen" answers serves both kinds of question.
        seen_words = frozenset({"yes", *(sel.windows or form.time_windows.present_ids())})
        qids = tuple(q.id for q in selected_questions(sel, form))
        is_seen = seen_words.__contains__
        need = sel.at_least
        if need == 1:
            return lambda a, d: any(map(is_seen, map(a.get, qids)))
        return lambda a, d: sum(map(is_seen, map(a.get, qids))) >= need

    def seen(self, form: FormDefinition) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The indicators counted, in form order, each with the answer codes that count as
        seen: what the count reads from columns, and the key of a count precomputed for them
        (:attr:`Columns.seen_counts <riskscreen.forms.columns.Columns.seen_counts>`)."""
        sel = self.count_present
        return tuple((q.id, tuple(sorted(set(_seen_codes(q, sel.windows)))))
                     for q in selected_questions(sel, form))

    def columns(self, form: FormDefinition) -> ColumnPredicate:
        parts = self.seen(form)
        need = self.count_present.at_least

        def count(cols: Columns) -> Mask:
            counted = cols.seen_counts.get(parts)
            if counted is not None:
                held: Mask = counted >= need
                return held
            n = np.zeros(cols.size, dtype=np.int64)
            for qid, codes in parts:
                n += one_of(cols.column(qid), codes)
            return n >= need
        return count

    def describe(self, form: FormDefinition | None = None) -> str:
        return self.count_present.describe()

    def _check(self, form: FormDefinition, path: Path_) -> list[Problem]:
        sel = self.count_present
        problems: list[Problem] = []
        sections = {s.id for s in form.sections}
        concerns = {q.concern for q in form.questions() if q.concern}
        known_questions = set(form.question_index())
        kinds = set(form.kind_roles())
        for name, known, values in (("kinds", kinds, sel.kinds),
                                    ("sections", sections, sel.sections),
                                    ("concerns", concerns, sel.concerns),
                                    ("questions", known_questions, sel.questions)):
            for i, value in enumerate(values or []):
                if value not in known:
                    problems.append(Problem(f"count_present: unknown {name[:-1]} '{value}'",
                                            (*path, name, i),
                                            "use one of: " + ", ".join(sorted(known))))
        problems += _check_windows(form, sel.windows, path)
        if problems:
            return problems
        matched = selected_questions(sel, form)
        if len(matched) < sel.at_least:
            problems.append(Problem(
                f"count_present can never fire: it needs {sel.at_least} indicator"
                f"{'s' if sel.at_least != 1 else ''} but only {len(matched)} question"
                f"{'s' if len(matched) != 1 else ''} of the form match its filters",
                (*path, "at_least"), "widen the filters or lower 'at_least'"))
        return problems


# -- the union --------------------------------------------------------------------------------

_NODES: dict[str, type[Node]] = {c.operator: c for c in (
    AllOf, AnyOf, Not, Equals, In, Contains, GreaterThan, LessThan, Answered, Present,
    CountPresent)}


def _tag(data: object) -> str | None:
    """The union member for raw data (its one key) or for a node already built."""
    if isinstance(data, dict) and len(data) == 1:
        return f"<{next(iter(data))}>"
    if isinstance(data, Node):
        return f"<{data.operator}>"
    return None


def _shape(data: object) -> object:
    """Exactly one known operator with a value: clear messages before pydantic's own."""
    if isinstance(data, Node):
        return data
    ops = ", ".join(RULE_OPERATORS)
    if not isinstance(data, dict):
        raise ValueError(hinted("a condition must be a mapping with one operator",
                                f"use one of: {ops}"))
    unknown = [k for k in data if k not in _NODES]
    if unknown:
        raise ValueError(hinted(f"unknown condition operator {unknown[0]!r}",
                                f"use one of: {ops}"))
    empty = [k for k in data if data[k] is None]
    if empty:
        raise ValueError(hinted(f"condition operator '{empty[0]}' has no value",
                                "give it a mapping (for a comparison) or a list (for all/any)"))
    if len(data) != 1:
        raise ValueError(hinted(
            "a condition has exactly one operator, found " + (", ".join(data) or "none"),
            "combine several with 'all:' or 'any:'"))
    return data


#: Any condition node. pydantic picks the member by the operator key; the tags, in angle
#: brackets, are dropped from error locations by ``problems_from_validation``.
Condition = Annotated[
    Union[  # noqa: UP007 - a tagged union reads better spelled out
        Annotated[AllOf, Tag("<all>")],
        Annotated[AnyOf, Tag("<any>")],
        Annotated[Not, Tag("<not>")],
        Annotated[Equals, Tag("<equals>")],
        Annotated[In, Tag("<in>")],
        Annotated[Contains, Tag("<contains>")],
        Annotated[GreaterThan, Tag("<greater_than>")],
        Annotated[LessThan, Tag("<less_than>")],
        Annotated[Answered, Tag("<answered>")],
        Annotated[Present, Tag("<present>")],
        Annotated[CountPresent, Tag("<count_present>")],
    ],
    Discriminator(_tag),
    BeforeValidator(_shape),
]

for _cls in _NODES.values():
    _cls.model_rebuild()

_ADAPTER: TypeAdapter[Condition] = TypeAdapter(Condition)


def parse_condition(data: object) -> Condition:
    """A condition from data shaped like its YAML (raises pydantic's ``ValidationError``)."""
    return _ADAPTER.validate_python(data)
