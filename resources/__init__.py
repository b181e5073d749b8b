"""Shipped definition data; installed as riskscreen._defs.resources so importlib.resources finds it."""
