"""RiskScreen's benchmarks: ``python -m bench`` runs them all and writes bench/report.md."""


class Unavailable(Exception):  # noqa: N818 - says what happened, as the report words it
    """An area cannot run on this machine (say what is missing and how to add it)."""
