"""Shipped definition data, installed as riskscreen._defs.forms."""
