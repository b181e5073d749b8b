"""RiskScreen: multi-agency CSE risk screening with a transparent, versioned scoring engine.

The package is layered: ``forms``, ``scoring``, ``routing``, ``summary``, ``crypto`` and ``store``
are the pure core (no Qt), ``services`` holds the use cases with role checks, ``cli`` and ``ui``
sit on top.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__: str


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package's metadata when first asked for.

    Lazily, because the metadata library takes a noticeable part of a second to import: the
    ``riskscreen`` command imports this package before it can catch Ctrl+C, so importing
    nothing here keeps that moment short.
    """
    if name != "__version__":
        raise AttributeError(f"module 'riskscreen' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("riskscreen")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
