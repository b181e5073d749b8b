"""Referral routing: which team a screening goes to, from each instrument's ``routing.yaml``.

>>> from riskscreen.routing import load_routing, route  # doctest: +SKIP
>>> route(assessment, load_routing()).destination.name  # doctest: +SKIP
"""

from riskscreen.routing.loader import load_routing, parse_routing
from riskscreen.routing.model import Destination, LevelRoute, RoutingTable, SummaryFields
from riskscreen.routing.route import Route, RoutingError, concern_totals, dominant_concern, route

__all__ = [
    "Destination",
    "LevelRoute",
    "Route",
    "RoutingError",
    "RoutingTable",
    "SummaryFields",
    "concern_totals",
    "dominant_concern",
    "load_routing",
    "parse_routing",
    "route",
]
