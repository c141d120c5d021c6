"""Turning loose user values into checked ones: one coercer per kind of parameter.

A coercer ``coerce(name, value)`` returns the value in its one canonical type
(``"0.72"`` -> ``0.72``, ``"true"`` -> ``True``, a path -> a string, one
string -> a tuple) or raises :class:`~niimasker_core.errors.SettingsError`
naming the parameter and echoing the value. The command's word parsers
(:func:`true_or_false`, :func:`standardize_word`) turn one command-line word
into a value. :data:`niimasker_core.settings.PARAMETERS` says which coercer
each parameter uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .errors import SettingsError

__all__ = [
    "COMPCOR_TYPES",
    "CONFOUND_MODELS",
    "ICA_AROMA_TYPES",
    "OUTPUT_VOLUMES",
    "REDUCTION_STRATEGIES",
    "STANDARDIZE_CHOICES",
    "as_bool",
    "as_choice",
    "as_count",
    "as_discard_scans",
    "as_labels",
    "as_n_compcor",
    "as_n_jobs",
    "as_nonnegative",
    "as_number",
    "as_optional_bool",
    "as_optional_choice",
    "as_optional_count",
    "as_path",
    "as_standardize",
    "as_strings",
    "standardize_word",
    "true_or_false",
]

STANDARDIZE_CHOICES = ("zscore", "zscore_sample", "psc")
REDUCTION_STRATEGIES = (
    "mean",
    "median",
    "sum",
    "minimum",
    "maximum",
    "variance",
    "standard_deviation",
)
OUTPUT_VOLUMES = ("censored", "interpolated")
#: nilearn's expansions of motion, WM/CSF and global signal regressors.
CONFOUND_MODELS = ("basic", "power2", "derivatives", "full")
#: nilearn's CompCor variants.
COMPCOR_TYPES = (
    "anat_combined",
    "anat_separated",
    "temporal",
    "temporal_anat_combined",
    "temporal_anat_separated",
)
ICA_AROMA_TYPES = ("full", "basic")


def _fail(name: str, value: Any, expected: str) -> SettingsError:
    return SettingsError(f"'{name}' must be {expected}. Got {name}={value!r}.")


def as_bool(name: str, value: Any) -> bool:
    """Return a boolean from ``True``/``False`` or the words ``true``/``false``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(name, value, "true or false")


def as_number(name: str, value: Any, *, positive: bool = True) -> float | None:
    """Return a finite float (positive unless ``positive=False``), or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(name, value, "a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(name, value, "a number") from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise _fail(name, value, "a positive number")
    return number


def as_nonnegative(name: str, value: Any) -> float | None:
    """Return a finite float >= 0, or None."""
    number = as_number(name, value, positive=False)
    if number is not None and number < 0:
        raise _fail(name, value, "a number >= 0")
    return number


def as_count(name: str, value: Any, *, minimum: int) -> int:
    """Return a whole number >= ``minimum`` (``2.0`` and ``"2"`` accepted)."""
    if isinstance(value, bool):
        raise _fail(name, value, f"a whole number >= {minimum}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or value < minimum:
        raise _fail(name, value, f"a whole number >= {minimum}")
    return value


def as_path(name: str, value: Any) -> str | None:
    """Return one file path as a string (a one-item list accepted), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        value = str(value) if hasattr(value, "__fspath__") else value
    if not isinstance(value, str):
        raise _fail(name, value, "one file path")
    return value


def as_strings(name: str, value: Any) -> tuple[str, ...] | None:
    """Return a tuple of non-empty strings (one string accepted), or None."""
    if value is None:
        return None
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        value = [value]
    if not isinstance(value, Iterable):
        raise _fail(name, value, "a string or a list of strings")
    items = tuple(str(v) if hasattr(v, "__fspath__") else v for v in value)
    if not all(isinstance(v, str) and v != "" for v in items):
        raise _fail(name, value, "a list of non-empty strings")
    return items or None


def as_labels(name: str, value: Any) -> tuple[str, ...] | str | None:
    """Return region names as a tuple, or the path of a labels table."""
    if value is None:
        return None
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        text = str(value)
        if text.lower().endswith((".tsv", ".csv", ".txt")):
            return text
        return (text,)
    if isinstance(value, Iterable):
        items = tuple(str(v) for v in value)
        if len(items) == 1 and items[0].lower().endswith((".tsv", ".csv", ".txt")):
            return items[0]
        return items or None
    raise _fail(name, value, "a list of names or a .tsv file path")


def as_standardize(name: str, value: Any) -> bool | str:
    """Return ``False``, ``True`` or one of :data:`STANDARDIZE_CHOICES`."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered in STANDARDIZE_CHOICES:
            return lowered
    raise _fail(
        name, value, "false, true, " + ", ".join(f"'{c}'" for c in STANDARDIZE_CHOICES)
    )


def as_choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    """Return a coercer accepting exactly one of ``choices``."""

    def coerce(name: str, value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _fail(name, value, "one of " + ", ".join(f"'{c}'" for c in choices))

    return coerce


def as_optional_choice(choices: tuple[str, ...]) -> Callable[[str, Any], str | None]:
    """Return a coercer accepting one of ``choices`` or None."""
    coerce = as_choice(choices)
    return lambda name, value: None if value is None else coerce(name, value)


def as_n_compcor(name: str, value: Any) -> int | str | None:
    """Return ``'all'``, a whole number >= 1, or None."""
    if value is None:
        return None
    if isinstance(value, str) and value.lower() == "all":
        return "all"
    try:
        return as_count(name, value, minimum=1)
    except SettingsError:
        raise _fail(name, value, "'all' or a whole number >= 1") from None


def true_or_false(text: str) -> bool:
    """Return the boolean a command-line word spells (``true``/``false``, any case).

    Raises
    ------
    ValueError
        For any other word.
    """
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"expected true or false, got {text!r}")
    return lowered == "true"


def standardize_word(text: str) -> bool | str:
    """Return the ``standardize`` value a command-line word spells.

    Raises
    ------
    ValueError
        For a word that is neither a boolean nor a method.
    """
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in STANDARDIZE_CHOICES:
        return lowered
    raise ValueError(
        f"expected true, false, {', '.join(STANDARDIZE_CHOICES)}; got {text!r}"
    )


def as_optional_bool(name: str, value: Any) -> bool | None:
    """Return a boolean, or None (the ROI kind's own default)."""
    return None if value is None else as_bool(name, value)


def as_discard_scans(name: str, value: Any) -> int:
    """Return a whole number of volumes >= 0."""
    return as_count(name, value, minimum=0)


def as_optional_count(name: str, value: Any) -> int | None:
    """Return a whole number >= 0, or None."""
    return None if value is None else as_count(name, value, minimum=0)


def as_n_jobs(name: str, value: Any) -> int:
    """Return the number of parallel jobs (-1: every core; 0 means 1)."""
    return as_count(name, value, minimum=-1) or 1  # 0 means serial
