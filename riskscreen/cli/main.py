"""The ``riskscreen`` command (placeholder until the CLI module lands)."""

def main(argv: list[str] | None = None) -> int:
    return 0
