"""Finalised records compress well with their model's dictionary, and come back exactly."""

from __future__ import annotations

import json

from riskscreen.forms.loader import load_form
from riskscreen.scoring.engine import score
from riskscreen.scoring.loader import load_model
from riskscreen.store.records import (
    compress_record,
    decompress_record,
    record_text,
    synthetic_dictionary,
)
from riskscreen.synthetic import generate_answer_sets


def test_the_chosen_dictionary_packs_records_of_other_screenings_small() -> None:
    form = load_form("cse-screening")
    model = load_model("cse-screening")
    dictionary = synthetic_dictionary(model.canonical_json())
    assert dictionary == synthetic_dictionary(model.canonical_json())  # the same every time
    texts = []
    for answer_set in generate_answer_sets(form, 120, seed=4242):
        snapshot = json.dumps(score(form, model, answer_set).to_dict(), sort_keys=True,
                              separators=(",", ":"), ensure_ascii=False)
        texts.append(record_text(snapshot, answer_set.model_dump_json()))
    blobs = [compress_record(t, dictionary) for t in texts]
    assert [decompress_record(b, dictionary) for b in blobs] == texts
    # Three arbitrary synthetic records as the dictionary gave about 515 bytes a record.
    assert sum(map(len, blobs)) / len(blobs) < 460
