"""RiskScreen's benchmarks: ``python -m bench`` runs them all and writes bench/report.md."""
