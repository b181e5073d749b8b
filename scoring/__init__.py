"""Shipped definition data; installed as riskscreen._defs.scoring so importlib.resources finds it."""
