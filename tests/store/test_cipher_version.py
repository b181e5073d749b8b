"""SQLCipher's version is read as numbers, and anything else as "not SQLCipher"."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3

from riskscreen.store.db import MIN_CIPHER_VERSION, cipher_version


class _Answer:
    """A connection that answers ``PRAGMA cipher_version`` with a given text."""

    def __init__(self, text: str | None) -> None:
        self._text = text

    def execute(self, _sql: str) -> _Answer:
        return self

    def fetchone(self) -> tuple[str | None] | None:
        return None if self._text is None else (self._text,)


def test_the_linked_library_is_new_enough(tmp_path: Path) -> None:
    connection = sqlcipher3.connect(str(tmp_path / "v.db"))
    try:
        assert cipher_version(connection) >= MIN_CIPHER_VERSION
    finally:
        connection.close()


@pytest.mark.parametrize(("text", "numbers"), [
    ("4.6.1 community", (4, 6, 1)),
    ("4.5.7", (4, 5, 7)),
    ("", ()),
    (None, ()),
    ("community", ()),
])
def test_version_text_is_read_as_numbers(text: str | None, numbers: tuple[int, ...]) -> None:
    assert cipher_version(_Answer(text)) == numbers
