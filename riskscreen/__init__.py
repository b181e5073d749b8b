"""RiskScreen: multi-agency CSE risk screening with a transparent, versioned scoring engine.

The package is layered: ``forms``, ``scoring``, ``routing``, ``summary``, ``crypto`` and ``store``
are the pure core (no Qt), ``services`` holds the use cases with role checks, ``cli`` and ``ui``
sit on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("riskscreen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
