"""Shipped definition data, installed as riskscreen._defs.scoring."""
