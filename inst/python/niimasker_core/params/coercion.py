"""Turning loose user values into checked ones: one coercer per kind of parameter.

A coercer ``coerce(name, value)`` returns the value in its one canonical type
(``"0.72"`` -> ``0.72``, ``"true"`` -> ``True``, a path -> a string, one
string -> a tuple) or raises :class:`~niimasker_core.errors.SettingsError`
naming the parameter and echoing the value. The command's word parsers
(:func:`true_or_false`, :func:`standardize_word`) turn one command-line word
into a value. :data:`niimasker_core.params.declarations.PARAMETERS` says which coercer
each parameter uses; the allowed words are in
:mod:`niimasker_core.params.vocabulary`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import SettingsError
from .vocabulary import STANDARDIZE_CHOICES

__all__ = [
    "as_bool",
    "as_choice",
    "as_count",
    "as_discard_scans",
    "as_dtype",
    "as_kinds",
    "as_fraction",
    "as_labels",
    "as_mask_args",
    "as_mask_img",
    "as_n_compcor",
    "as_n_jobs",
    "as_nonnegative",
    "as_number",
    "as_optional_bool",
    "as_optional_choice",
    "as_optional_count",
    "as_path",
    "as_per_set",
    "as_roi_files",
    "as_runs",
    "as_scheduler",
    "as_shard",
    "as_size",
    "as_standardize",
    "as_strings",
    "as_target_affine",
    "as_target_shape",
    "discard_scans_word",
    "standardize_word",
    "true_or_false",
]


def _fail(name: str, value: Any, expected: str | Mapping[str, str]) -> SettingsError:
    # The parts (parameter, value, what is expected) let each face word it.
    value = _shown(value)
    return SettingsError(
        {
            "python": "{parameter} must be {expected:text}. Got {parameter:bare}={value}.",
            "r": "{parameter} must be {expected_r:text}, not {value}.",
        },
        parameter=name,
        value=value,
        expected=expected if isinstance(expected, str) else expected["python"],
        expected_r=_r_expected(expected)
        if isinstance(expected, str)
        else expected["r"],
    )


def _r_expected(text: str) -> str:
    """Word an expectation written with Python's literals ('all', [1, 2]) with R's."""
    text = re.sub(r"'([^'{}]*)'", r'"\1"', text)
    return re.sub(r"\[([^\[\]]*)\]", r"c(\1)", text)


def _shown(value: Any) -> Any:
    """Return ``value`` as a message shows it: an object (an image, an array) by its type."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _shown(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_shown(v) for v in value)
    return f"<{type(value).__name__}>"


def _one_of(choices: Sequence[str], prefix: str = "one of ") -> dict[str, str]:
    return {
        "python": prefix + ", ".join(f"'{c}'" for c in choices),
        "r": prefix + ", ".join(f'"{c}"' for c in choices),
    }


def as_bool(name: str, value: Any) -> bool:
    """Return a boolean from ``True``/``False`` or the words ``true``/``false``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _fail(name, value, {"python": "true or false", "r": "TRUE or FALSE"})


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


def as_fraction(name: str, value: Any) -> float | None:
    """Return a number from 0 to 1, or None."""
    number = as_number(name, value, positive=False)
    if number is not None and not 0 <= number <= 1:
        raise _fail(name, value, "a number from 0 to 1")
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


#: Size units: kB, MB, GB, TB are powers of 1000 (as Dask reads them),
#: KiB, MiB, GiB, TiB powers of 1024; a bare number is bytes.
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")


def as_size(name: str, value: Any) -> int | None:
    """Return a size in bytes from a number or a word such as ``'8GB'``, or None."""
    if value is None:
        return None
    expected = "a size such as '8GB', '500MB' or a number of bytes"
    if isinstance(value, bool):
        raise _fail(name, value, expected)
    if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
        return int(value)
    match = _SIZE.match(value) if isinstance(value, str) else None
    unit = _SIZE_UNITS.get(match.group(2).lower()) if match else None
    if unit is None or float(match.group(1)) <= 0:
        raise _fail(name, value, expected)
    return int(float(match.group(1)) * unit)


def as_path(name: str, value: Any) -> str | None:
    """Return one file path as a string (a one-item list accepted), or None."""
    if value is None or (isinstance(value, str) and value == ""):
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


def as_labels(name: str, value: Any) -> tuple[str, ...] | str | dict | None:
    """Return region names as a tuple, the path of a labels table, or one per ROI set.

    Per ROI set: a mapping of set name to names or table, or (the command's
    form) ``'name=table.tsv'`` entries; see :func:`as_per_set`.
    """
    per_set = as_per_set(name, value, _one_labels, _is_labels_entry)
    return (per_set or None) if per_set is not None else _one_labels(name, value)


def _is_labels_entry(item: str) -> bool:
    # 'set=table.tsv': a region name is never a table path
    return item.lower().endswith(_TABLE_SUFFIXES)


_TABLE_SUFFIXES = (".tsv", ".csv", ".txt")


def _one_labels(name: str, value: Any) -> tuple[str, ...] | str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        raise _fail(name, value, "a list of names or a .tsv file path")
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        text = str(value)
        if text.lower().endswith(_TABLE_SUFFIXES):
            return text
        return (text,)
    if isinstance(value, Iterable):
        value = list(value)
        _refuse_missing_names(name, value)
        items = tuple(str(v) for v in value)
        if len(items) == 1 and items[0].lower().endswith(_TABLE_SUFFIXES):
            return items[0]
        return items or None
    raise _fail(name, value, "a list of names or a .tsv file path")


def _refuse_missing_names(name: str, names: list) -> None:
    """Refuse None or NaN among region names: they name nothing (``str`` would say 'None')."""
    missing = [
        v for v in names if v is None or (isinstance(v, float) and math.isnan(v))
    ]
    if missing:
        raise SettingsError(
            "{parameter} must hold one name (text) per region, but {n} of its "
            "{total} entries are None or NaN, which name nothing.",
            parameter=name,
            n=len(missing),
            total=len(names),
            fix="Give every region a name, or leave {parameter} out to name the "
            "regions by their numbers (or by the atlas's labels table).",
        )


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
    choices = _one_of(STANDARDIZE_CHOICES, prefix="")
    raise _fail(
        name,
        value,
        {
            "python": "false, true, " + choices["python"],
            "r": "FALSE, TRUE, " + choices["r"],
        },
    )


def as_choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    """Return a coercer accepting exactly one of ``choices``."""

    def coerce(name: str, value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _fail(name, value, _one_of(choices))

    return coerce


def as_kinds(choices: tuple[str, ...]) -> Callable[[str, Any], tuple[str, ...] | None]:
    """Return a coercer of a list of ``choices`` (one word accepted), each once, or None.

    ``_`` reads as a space (``partial_correlation``), so the command's words
    need no quotes.
    """

    def coerce(name: str, value: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        words = [value] if isinstance(value, str) else value
        if not isinstance(words, Iterable):
            raise _fail(name, value, _one_of(choices, "a list of words among "))
        kinds = [w.replace("_", " ") if isinstance(w, str) else w for w in words]
        if not all(isinstance(k, str) and k in choices for k in kinds):
            raise _fail(name, value, _one_of(choices, "a list of words among "))
        return tuple(dict.fromkeys(kinds)) or None

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


def as_discard_scans(name: str, value: Any) -> int | str:
    """Return a whole number of volumes >= 0, or ``'auto'``."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return as_count(name, value, minimum=0)
    except SettingsError:
        raise _fail(name, value, "a whole number >= 0 or 'auto'") from None


def discard_scans_word(text: str) -> int | str:
    """Return the command's ``--discard_scans`` word: a whole number or ``'auto'``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number or 'auto', got {text!r}") from None


def as_optional_count(name: str, value: Any) -> int | None:
    """Return a whole number >= 0, or None."""
    return None if value is None else as_count(name, value, minimum=0)


def as_n_jobs(name: str, value: Any) -> int:
    """Return the number of parallel jobs: a whole number >= 1, or -1 for every core.

    0 is refused, as joblib refuses it: it would run nothing in parallel
    while looking like a choice.
    """
    jobs = as_count(name, value, minimum=-1)
    if jobs == 0:
        raise _fail(name, value, "a whole number >= 1, or -1 for every core")
    return jobs


def as_shard(name: str, value: Any) -> str | None:
    """Return ``'i/N'`` (whole numbers, ``1 <= i <= N``), or None."""
    if value is None:
        return None
    text = str(value).strip()
    parts = text.split("/")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        index, count = (int(p) for p in parts)
        if 1 <= index <= count:
            return f"{index}/{count}"
    raise _fail(name, value, "'i/N' with whole numbers 1 <= i <= N, e.g. '3/10'")


#: A Dask scheduler address: an optional known scheme, a host without spaces, a port.
_SCHEDULER = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d+/?$"
    r"|^inproc://\S+$"
)


def as_scheduler(name: str, value: Any) -> Any:
    """Return a Dask scheduler address, ``'local'``, a Client, or None."""
    if value is None or value == "":
        return None
    if hasattr(value, "submit") or value == "local":
        return value
    if isinstance(value, str) and _SCHEDULER.match(value.strip()):
        return value.strip()
    if isinstance(value, str):
        raise _fail(
            name,
            value,
            "'local' or a scheduler address such as 'tcp://10.0.0.5:8786' (scheme "
            "tcp, tls, ws, wss, ucx or inproc; host and port)",
        )
    raise _fail(
        name, value, "a scheduler address, 'local' or a dask.distributed.Client"
    )


_SET_NAME = re.compile(r"^[A-Za-z0-9]+$")
_SET_ENTRY = re.compile(r"^([A-Za-z0-9]+)=(.+)$", re.DOTALL)


def as_mask_img(name: str, value: Any) -> str | dict | None:
    """Return one mask path (for every ROI set), or one per ROI set.

    Per ROI set: a mapping of set name to path, or (the command's form)
    ``'name=path'`` entries; see :func:`as_per_set`.
    """
    per_set = as_per_set(name, value, as_path, lambda item: True)
    return (per_set or None) if per_set is not None else as_path(name, value)


def as_per_set(
    name: str,
    value: Any,
    coerce: Callable[[str, Any], Any],
    is_entry: Callable[[str], bool],
) -> dict[str, Any] | None:
    """Return a value given per ROI set as ``{set name: value}``, or None when it is not.

    A value is per ROI set when it is a mapping (set name -> value), or a
    ``'name=value'`` entry or a list whose items are all such entries (the
    command's ``--name set=value``, repeated). An item that is itself an
    existing file is a plain value, as for ``roi_file``. Whether the names
    are ROI sets of ``roi_file`` is checked where the sets are known
    (:func:`niimasker_core.rois.per_set.values_per_set`).

    Parameters
    ----------
    name : str
        The parameter.
    value : object
        What the user gave.
    coerce : callable
        The coercer of one set's value; ``None`` stays None (no value for
        that set).
    is_entry : callable
        Whether a ``'name=value'`` string can be an entry (e.g. labels
        entries name a table).

    Returns
    -------
    dict or None
        One checked value per named set, in the given order (empty for an
        empty mapping); None when ``value`` is one value for every set.

    Raises
    ------
    SettingsError
        For a set name that is not letters and digits, a set given twice, or
        entries mixed with a value for every set.
    """
    if isinstance(value, str):
        value = [value]  # one 'name=value' entry names one set
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)) and value:
        items = [str(v) if hasattr(v, "__fspath__") else v for v in value]
        matches = [_set_entry(item, is_entry) for item in items]
        if not any(matches):
            return None
        if not all(matches):
            raise SettingsError(
                "{parameter} mixes values per ROI set ('name=path') with a value "
                "for every set. Got {parameter:bare}={value}.",
                parameter=name,
                value=list(value),
                fix={
                    "python": "Give either one value, or each set's value keyed by "
                    "the set's name (sets left out get none).",
                    "command": "Give either one value, or name=path for each set "
                    "that has one (sets left out get none).",
                    "r": "Give either one value, or a named list of each set's "
                    "value (sets left out get none).",
                },
            )
        pairs = [m.groups() for m in matches]  # type: ignore[union-attr]
    else:
        return None
    out: dict[str, Any] = {}
    for key, item in pairs:
        if not isinstance(key, str) or not _SET_NAME.match(key):
            raise _fail(name, value, "keyed by ROI set names (letters and digits)")
        if key in out:
            raise _fail(name, value, f"one value per ROI set ('{key}' is given twice)")
        out[key] = None if item is None else coerce(name, item)
    return out


def _set_entry(item: Any, is_entry: Callable[[str], bool]) -> re.Match | None:
    if not isinstance(item, str):
        return None
    match = _SET_ENTRY.match(item)
    if match is None or not is_entry(match.group(2)) or os.path.isfile(item):
        return None
    return match


def as_roi_files(name: str, value: Any) -> str | tuple[str, ...] | None:
    """Return one ROI definition, or several as ``'name=path'`` entries (a tuple).

    Several come as a list (each ``'path'`` or ``'name=path'``) or a mapping
    of set name to path; names are letters and digits (a BIDS label).
    """
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, Mapping):
        paths = {k: str(v) if hasattr(v, "__fspath__") else v for k, v in value.items()}
        if not all(isinstance(v, str) and v for v in paths.values()):
            raise _fail(name, value, "a mapping of set name to a path (a file name, "
                        "not an image object: save it with to_filename first)")  # fmt: skip
        value = [f"{k}={v}" for k, v in paths.items()]
    if isinstance(value, (list, tuple)):
        items = [str(v) if hasattr(v, "__fspath__") else v for v in value]
        if not items or not all(isinstance(v, str) and v for v in items):
            raise _fail(name, value, "a path or a list of paths")
        if len(items) == 1:
            return items[0]
        for item in items:
            label, sep, _ = item.partition("=")
            if sep and not _SET_NAME.match(label):
                raise _fail(name, value, "entries 'path' or 'name=path' with a name "
                            "of letters and digits")  # fmt: skip
        return tuple(items)
    return as_path(name, value)


# ----------------------------------------------------------------- voxel extraction


def as_mask_args(name: str, value: Any) -> dict | None:
    """Return a dict of mask-function arguments (a JSON object string accepted)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _fail(
                name,
                value,
                {
                    "python": "a JSON object such as '{\"opening\": 1}'",
                    "r": "a named list such as list(opening = 1)",
                },
            ) from None
    if not isinstance(value, Mapping):
        raise _fail(
            name,
            value,
            {
                "python": "a dict (a JSON object such as '{\"opening\": 1}')",
                "r": "a named list such as list(opening = 1)",
            },
        )
    return dict(value)


def as_target_affine(name: str, value: Any) -> float | tuple | None:
    """Return a voxel size in mm, or a 3x3/4x4 affine as nested tuples, or None."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return as_number(name, value)
    try:
        numbers = [float(v) for v in _flatten(value)]
    except (TypeError, ValueError):
        raise _fail(
            name, value, "a voxel size in mm or a 4x4 (or 3x3) affine"
        ) from None
    if len(numbers) == 1:
        return as_number(name, numbers[0])
    if len(numbers) not in (9, 16) or not all(math.isfinite(v) for v in numbers):
        raise _fail(name, value, "a voxel size in mm or a 4x4 (or 3x3) affine")
    size = 3 if len(numbers) == 9 else 4
    rows = tuple(tuple(numbers[i * size : (i + 1) * size]) for i in range(size))
    if abs(np.linalg.det(np.array(rows)[:3, :3])) < 1e-6:
        raise _fail(name, value, "an invertible affine (this one maps the grid flat)")
    return rows


def _flatten(value: Any) -> list:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [item for part in value for item in _flatten(part)]
    return [value]


def as_target_shape(name: str, value: Any) -> tuple[int, int, int] | None:
    """Return three whole numbers >= 1, or None."""
    if value is None:
        return None
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise _fail(name, value, "three whole numbers, e.g. [91, 109, 91]")
    items = tuple(as_count(name, v, minimum=1) for v in value)
    if len(items) != 3:
        raise _fail(name, value, "three whole numbers, e.g. [91, 109, 91]")
    return items


def as_runs(name: str, value: Any) -> tuple | None:
    """Return one run label per volume (numbers or words), or None."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _fail(name, value, "a list with one run label per volume")
    items = []
    for item in value:
        if isinstance(item, str) and item.strip().lstrip("-").isdigit():
            item = int(item)
        if isinstance(item, float) and item.is_integer():
            item = int(item)
        items.append(item)
    return tuple(items) or None


def as_dtype(name: str, value: Any) -> str | None:
    """Return ``'auto'``, a numpy dtype name (e.g. ``'float32'``), or None."""
    if value is None:
        return None
    if value == "auto":
        return "auto"
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise _fail(name, value, "'auto' or a numpy dtype such as 'float32'") from None
    if dtype.kind not in "iuf":
        raise _fail(name, value, "'auto' or a numeric dtype such as 'float32'")
    return dtype.name
