"""Shipped definition data; installed as riskscreen._defs.forms so importlib.resources finds it."""
