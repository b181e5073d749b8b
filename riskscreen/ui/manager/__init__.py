"""Managers' tools: the scoring model editor, impact analysis, try-out, history and reports."""
