"""The demo database's agreement exercise: six made-up vignettes screened in practice mode by
each demo practitioner, so the agreement report has something to show.

Each vignette fixes the indicators its text makes clear; those it leaves open to reading
("ambiguous") are answered differently by some practitioners, as happens in practice. Every
step goes through the services as each account would (and is audited).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from riskscreen.forms.kinds import INDICATOR_TYPES, QuestionType
from riskscreen.forms.visibility import visible_answers
from riskscreen.services.errors import ServiceError
from riskscreen.services.types import Role
from riskscreen.synthetic import generate_answer_sets

if TYPE_CHECKING:
    from riskscreen.services.demo import SignIn

__all__ = ["PRACTICE_ACCOUNTS", "VIGNETTES", "add_agreement_demo"]

#: Two more demo practitioners, made after the demo screenings, who only practise.
PRACTICE_ACCOUNTS = {
    "alex": (Role.PRACTITIONER, "demo practitioner alex"),
    "jo": (Role.PRACTITIONER, "demo practitioner jo"),
}


@dataclass(frozen=True)
class _Vignette:
    title: str
    age: int
    text: str
    #: Indicators the text makes clear, with their answer.
    clear: dict[str, str]
    #: Indicators the text leaves open, with the readings practitioners may give.
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)


VIGNETTES = (
    _Vignette(
        "Vignette A: Jade", 14,
        "Jade is 14 and lives with her mum. Over the last month school has noticed a new phone "
        "and clothes her mum says she did not buy. Jade has been collected from school twice "
        "by a man in his twenties whom staff did not know. She says he is a friend's brother.",
        {"gifts_money_unknown_sources": "recent", "picked_up_by_unknown_adults": "recent",
         "family_support": "yes", "engaged_in_education": "yes"},
        {"older_associates": ("recent", "not_known", "none")}),
    _Vignette(
        "Vignette B: Kai", 15,
        "Kai is 15 and in foster care out of area. He has been reported missing three times "
        "in two months, once overnight, and came back with cash he would not explain. Police "
        "found him in a town forty miles away with two older young men.",
        {"missing_overnight": "yes", "returned_with_unexplained_items": "yes",
         "moved_between_towns": "recent", "looked_after_child": "yes",
         "placement_out_of_area": "yes"},
        {"criminal_activity_linked_to_adults": ("recent", "not_known"),
         "older_associates": ("recent", "not_known")}),
    _Vignette(
        "Vignette C: Amira", 13,
        "Amira is 13. Her teacher overheard that someone she met in an online game asked her "
        "for photographs. Amira told her teacher she stopped replying and blocked the account. "
        "She is doing well at school and talks openly with her dad.",
        {"family_support": "yes", "engaged_in_education": "yes", "trusted_adult": "yes"},
        {"online_grooming": ("recent", "not_known", "none"),
         "asked_for_sexual_images": ("recent", "not_known")}),
    _Vignette(
        "Vignette D: Leo", 16,
        "Leo is 16 and was excluded from school last year. He spends most evenings at a "
        "friend's flat where, his mum says, adults give the young people alcohol and cannabis. "
        "He has a youth worker he trusts and goes to boxing twice a week.",
        {"disrupted_education": "yes", "trusted_adult": "yes", "positive_activities": "yes"},
        {"substances_supplied_by_adults": ("recent", "not_known"),
         "hotels_parties_unknown_addresses": ("recent", "none", "not_known")}),
    _Vignette(
        "Vignette E: Maja", 15,
        "Maja is 15. She told a school nurse that an older man she calls her boyfriend takes "
        "her to parties at addresses she does not know, and that he shared an image of her "
        "with his friends. She has been to the sexual health clinic three times this term.",
        {"disclosure_sexual_exploitation": "yes", "hotels_parties_unknown_addresses": "recent",
         "sexual_images_shared": "recent", "older_associates": "recent",
         "repeat_sexual_health_visits": "recent"},
        {"images_used_to_threaten": ("none", "not_known", "recent")}),
    _Vignette(
        "Vignette F: Ewan", 12,
        "Ewan is 12 and lives with his grandparents. He has missed school on several "
        "afternoons this month; his grandmother thinks he is with older boys from the estate "
        "but does not know where. He has no other known concerns.",
        {"family_support": "yes"},
        {"unexplained_absence_from_education": ("recent", "not_known"),
         "older_associates": ("not_known", "recent", "none")}),
)

#: The demo practitioners who screen the vignettes, and how often each departs from the
#: first reading of an ambiguous indicator.
_PRACTITIONERS = (("pat", 0.35), ("sam", 0.5), ("alex", 0.4), ("jo", 0.6))


def _answers(form: Any, vignette: _Vignette, base: dict[str, Any], on: date,
             rng: random.Random, departs: float) -> dict[str, Any]:
    """One practitioner's answers: the base context, every indicator 'not seen' unless the
    vignette says otherwise, the ambiguous ones read as this practitioner reads them."""
    index = form.question_index()
    answers = dict(base)
    for q in form.questions():
        if q.type in INDICATOR_TYPES and q.role.value != "context":
            answers[q.id] = "no" if q.type is QuestionType.INDICATOR else "none"
    for qid, value in vignette.clear.items():
        answers[qid] = value
    for qid, readings in vignette.ambiguous.items():
        answers[qid] = readings[0] if rng.random() >= departs else rng.choice(readings[1:])
    for qid, value in list(answers.items()):
        q = index.get(qid)
        if q is not None and q.type is QuestionType.INDICATOR and value in ("recent", "none"):
            answers[qid] = "yes" if value == "recent" else "no"
        if qid not in index:
            del answers[qid]
    return visible_answers(form, answers, on)


def add_agreement_demo(admin: Any, accounts: dict[str, tuple[Role, str]], *,
                       seed: int = 0, sign_in: SignIn | None = None) -> int:
    """One agreement exercise with the demo vignettes, made by the demo manager, assigned
    to the demo practitioners (``accounts`` and :data:`PRACTICE_ACCOUNTS`) and screened by
    each; returns the exercise's number. ``admin`` is the administrator's session; the
    others sign in with ``sign_in`` (by default to its database file)."""
    from riskscreen.services.demo import file_sign_in

    sign_in = sign_in or file_sign_in(admin.db_path)

    for name, (role, passphrase) in PRACTICE_ACCOUNTS.items():
        admin.accounts.create(name, role, passphrase, display_name=f"Demo {role}")
    passphrases = {n: p for n, (r, p) in {**accounts, **PRACTICE_ACCOUNTS}.items()
                   if r == Role.PRACTITIONER}
    manager = next(n for n, (r, _) in accounts.items() if r == Role.MANAGER)
    rng = random.Random(seed * 13 + 17)  # noqa: S311 - invented demo data, not security
    with sign_in(manager, accounts[manager][1]) as session:
        exercise = session.agreement.create_exercise("Demo exercise: six vignettes")
        on = exercise.screening_date
        form = session.screenings.form(exercise.form_id, exercise.form_version)
        ids = []
        for vignette in VIGNETTES:
            born = on - timedelta(days=int(365.25 * vignette.age) + 40)
            ids.append((session.agreement.add_vignette(
                exercise.id, vignette.title, vignette.text, born).id, vignette, born))
        names = [name for name, _ in _PRACTITIONERS if name in passphrases]
        session.agreement.assign(exercise.id, names)
    base_sets = generate_answer_sets(form, len(VIGNETTES), seed=seed + 5, latest=on)
    for name, departs in _PRACTITIONERS:
        if name not in passphrases:
            continue
        with sign_in(name, passphrases[name]) as user:
            for (vid, vignette, born), base_set in zip(ids, base_sets, strict=True):
                base = {k: v for k, v in base_set.answers.items()}
                base.update({"child_name": vignette.title, "date_of_birth": born.isoformat()})
                answers = _answers(form, vignette, base, on, rng, departs)
                practice = user.agreement.open_practice(vid)
                try:
                    user.agreement.save_practice(practice.id, answers)
                    user.agreement.submit_practice(practice.id)
                except ServiceError:
                    continue  # a team's own form may not take these answers; skip it
    return int(exercise.id)
