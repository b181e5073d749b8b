"""Shipped definition data, installed as riskscreen._defs.resources."""
