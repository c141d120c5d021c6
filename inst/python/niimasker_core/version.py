"""The version of niimasker_core (one place; the package and pyproject read it here)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
