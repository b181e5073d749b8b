"""The PDF: text checked with pypdf, marking on every page, long and multilingual text."""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from riskscreen.forms.answers import AnswerSet
from riskscreen.forms.loader import load_form
from riskscreen.scoring.assessment import (
    Assessment,
    Contribution,
    Override,
    OverrideDirection,
    RuleFired,
)
from riskscreen.scoring.engine import score
from riskscreen.scoring.gaps import not_known_tally
from riskscreen.scoring.loader import load_model
from riskscreen.summary import ReferralSummary, render_pdf, render_pdf_bytes

MakeAssessment = Callable[..., Assessment]
MakeSummary = Callable[..., ReferralSummary]


def pages(data: bytes, password: str | None = None) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    if password is not None:
        reader.decrypt(password)
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_summary_text(make_summary: MakeSummary, make_assessment: MakeAssessment,
                      tmp_path: Path) -> None:
    rule = RuleFired("images", "high", "Someone asked the child for sexual images recently.")
    s = make_summary(make_assessment("medium", override="high", rules=(rule,)))
    out = tmp_path / "summary.pdf"
    render_pdf(s, out)
    texts = pages(out.read_bytes())
    whole = flat(" ".join(texts))
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL-SENSITIVE") == 2, i  # header and footer
        assert f"Page {i} of {n}" in text
        assert "Reference RS-20260301-TEST01" in text
        assert "Generated 1 March 2026 at 14:05" in text
    first = flat(texts[0])
    assert "Risk level: HIGH RISK (level 4 of 4)" in first
    assert "Northvale Child Exploitation Hub" in first
    assert "exploitation.hub@northvale.gcsx.example" in first
    assert "0114 496 0101" in first
    assert "Strategy discussion within one working day" in first
    for item in s.indicators:
        for ind in item.items:
            assert flat(ind.text) in whole, ind.text
    assert "Someone asked the child for sexual images recently." in whole
    assert "Zofia was seen getting into a car with an unknown adult" in whole
    assert "Zofia Kowalczyk-Łęcka" in whole
    assert "hash 0123456789ab" in whole
    assert "Not known: gaps to follow up" in whole
    assert "He's my friend, he looks after me." in whole


def test_custom_marking_on_every_page(make_summary: MakeSummary) -> None:
    texts = pages(render_pdf_bytes(make_summary(marking="OFFICIAL")))
    assert all(t.count("OFFICIAL") == 2 and "SENSITIVE" not in t for t in texts)


GREEK = "Ελένη Παπαδοπούλου"
POLISH = "Zażółć gęślą jaźń, Łucja Wiśniewska"
ARABIC = "مريم عبد الله"


def test_long_multilingual_text_flows_over_pages(
        make_summary: MakeSummary, answer_set: AnswerSet, tmp_path: Path) -> None:
    sentence = ("Ona mówi, że czuje się bezpieczna w szkole, ale boi się wracać do domu. "
                "Η Ελένη λέει ότι θέλει βοήθεια. هي تقول إنها تريد المساعدة. ")
    long_text = (sentence * 60)[:5000]
    arabic_long = ("تقول الطفلة إنها تشعر بالأمان في المدرسة لكنها تخاف من العودة. " * 80)[:5000]
    answers = dict(answer_set.answers)
    answers.update(child_name=f"{GREEK} / {ARABIC} / {POLISH}", child_views=arabic_long,
                   practitioner_analysis=long_text, screening_reason_detail=long_text,
                   child_wishes="x" * 3000)  # one unbreakable word
    evidence = dict(answer_set.evidence)
    s = make_summary(answers=answer_set.model_copy(update={"answers": answers,
                                                           "evidence": evidence}))
    data = render_pdf_bytes(s)
    (tmp_path / "long.pdf").write_bytes(data)
    texts = pages(data)
    assert len(texts) >= 5
    whole = " ".join(texts)
    assert GREEK in whole
    assert "Łucja Wiśniewska" in whole
    assert "Η Ελένη λέει ότι θέλει βοήθεια." in flat(whole)
    # Arabic is stored shaped (presentation forms) in visual order: check it is there.
    assert re.search("[\ufe70-\ufeff]{3}", whole)
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} of {len(texts)}" in text


def test_password_protects_the_file(make_summary: MakeSummary) -> None:
    data = render_pdf_bytes(make_summary(), password="correct horse battery")
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    assert PdfReader(io.BytesIO(data)).decrypt("wrong password") == 0
    assert "Risk level" in pages(data, "correct horse battery")[0]
    assert b"AESV3" in data  # AES-256


def test_empty_password_is_refused(make_summary: MakeSummary) -> None:
    with pytest.raises(ValueError, match="empty"):
        render_pdf_bytes(make_summary(), password="")


def test_a_file_is_private_from_the_start(make_summary: MakeSummary, tmp_path: Path) -> None:
    target = tmp_path / "referral.pdf"
    target.write_bytes(b"an older, world-readable file")
    target.chmod(0o644)
    old = os.umask(0o022)  # the usual umask, under which files were created 0644
    try:
        render_pdf(make_summary(), target, password="correct horse battery")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert PdfReader(target).is_encrypted
    assert [p.name for p in tmp_path.iterdir()] == ["referral.pdf"]  # no temporary left


def test_writes_to_a_stream(make_summary: MakeSummary) -> None:
    buffer = io.BytesIO()
    render_pdf(make_summary(), buffer)
    assert buffer.getvalue().startswith(b"%PDF")


def test_arabic_prints_with_glyphs_the_font_has() -> None:
    from reportlab.pdfbase.pdfmetrics import getFont

    from riskscreen.summary.fonts import REGULAR, register_fonts
    from riskscreen.summary.text import visual_lines

    register_fonts()
    cmap = getFont(REGULAR).face.charToGlyph
    lines, direction = visual_lines(f"{ARABIC} بسم الله الرحمن الرحيم", 200, REGULAR, 10)
    assert direction == "R"
    missing = {ch for line in lines for ch in line if ch != " " and ord(ch) not in cmap}
    assert not missing


def test_rtl_lines_keep_their_order() -> None:
    from riskscreen.summary.fonts import REGULAR, register_fonts
    from riskscreen.summary.text import visual_lines

    register_fonts()
    words = " ".join(f"كلمة{i}" for i in range(40))
    lines, _ = visual_lines(words, 120, REGULAR, 10)
    assert len(lines) > 3
    assert "0" in lines[0]  # the first words are on the first line
    assert "39" in lines[-1]


def test_the_pdf_shows_the_not_known_points_that_count(make_summary: MakeSummary) -> None:
    """37 points of "not known" with a cap of 8 print as 8 counted, never as +37."""
    form = load_form("cse-screening")
    cases = Path(__file__).resolve().parents[1] / "cases"
    raw = json.loads((cases / "1.1.0" / "19-nothing-known-yet.json").read_text("utf-8"))
    answers = AnswerSet.model_validate(raw)
    assessment = score(form, load_model("cse-screening@1.1.0", form), answers)
    tally = not_known_tally(assessment)
    assert (tally.points, tally.counted) == (37, 8)
    whole = flat(" ".join(pages(render_pdf_bytes(make_summary(assessment, answers)))))
    assert (f"{tally.questions} questions not known or not answered yet: 8 points counted "
            "(capped at 8; without the cap they would add 37 points)") in whole
    assert "Counted towards the score +8" in whole
    assert "add 37 points, of which" not in whole


def test_one_point_is_singular(make_summary: MakeSummary,
                               make_assessment: MakeAssessment) -> None:
    one = (Contribution("older_associates", "Relationships with older people", "older",
                        "3 to 12 months ago", 1, "risk_indicator", "exploitation_indicators",
                        "relationships"),)
    whole = flat(" ".join(pages(render_pdf_bytes(
        make_summary(make_assessment("low", contributions=one))))))
    assert "(+1 point)" in whole
    assert "+1 points" not in whole
    assert "add up to 1 point," in whole


def test_an_amendment_lowered_by_judgement_names_the_level_it_amends(
        make_summary: MakeSummary, make_assessment: MakeAssessment) -> None:
    a = make_assessment("medium")
    lowered = replace(a, override=Override(
        "medium", OverrideDirection.LOWERED, "Police checks show the adult is her uncle.",
        "J. Okafor", "M. Patel", from_level="high"))
    whole = flat(" ".join(pages(render_pdf_bytes(make_summary(lowered)))))
    assert "lowered from High risk, the level of the screening this amends" in whole
    assert "Level of the screening this amends High risk" in whole
    assert "Countersigned by M. Patel" in whole


def test_long_text_is_laid_out_in_bounded_paragraphs() -> None:
    from riskscreen.summary.text import CHUNK_CHARS, chunks

    lines = "\n".join(f"line {i} of what the young person said" for i in range(2000))
    pieces = chunks(lines)
    assert len(pieces) > 1
    assert all(len(p) <= CHUNK_CHARS for p in pieces)
    assert "\n".join(pieces) == lines  # cut only at line breaks when there are any
    words = "word " * 3000
    assert " ".join(chunks(words)).split() == words.split()  # cut at spaces, no word lost
    assert all(len(p) <= CHUNK_CHARS for p in chunks("x" * 9000))


def test_long_evidence_is_written_out_in_full_below_its_table(
        make_summary: MakeSummary, answer_set: AnswerSet) -> None:
    evidence = {**answer_set.evidence, "asked_for_sexual_images": {
        "basis": "reported", "source": "School",
        "details": "\n".join(f"Note {i}: told her tutor about the messages." for i in range(400))}}
    s = make_summary(answers=AnswerSet.model_validate(
        {**answer_set.model_dump(mode="json"), "evidence": evidence}))
    whole = flat(" ".join(pages(render_pdf_bytes(s))))
    assert "Evidence: written out in full below this table." in whole
    assert "Note 0: told her tutor" in whole
    assert "Note 399: told her tutor about the messages." in whole


def test_a_long_field_that_fits_on_its_page_is_drawn_below_its_table(
        make_summary: MakeSummary, answer_set: AnswerSet) -> None:
    answers = {**answer_set.answers, "consent_given_by": "Anna Kowalczyk, mother. " * 100}
    s = make_summary(answers=answer_set.model_copy(update={"answers": answers}))
    whole = flat(" ".join(pages(render_pdf_bytes(s))))
    assert "Consent given by Written out in full below this table." in whole
    assert whole.count("Anna Kowalczyk, mother.") == 100
