"""Confound tables: reading, choosing columns, and the volumes to keep.

A confounds file is a TSV (or CSV) with a header row, one row per volume,
``n/a`` for missing values, as fMRIPrep writes them. ``regressors`` chooses
columns by name (shell wildcards such as ``a_comp_cor_*`` allowed); with no
``regressors`` every column is used. Like nilearn's ``load_confounds``, a
``n/a`` in the first row (derivative columns) takes the second row's value;
``n/a`` anywhere else is an error rather than a silent zero.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfoundsError, ImageNotFoundError

__all__ = ["ConfoundSelection", "read_confounds_table", "select_confounds"]


@dataclass
class ConfoundSelection:
    """The confounds of one image, ready for cleaning.

    Attributes
    ----------
    values : numpy.ndarray or None
        ``(n_volumes, n_columns)`` for every volume of the image.
    columns : list of str
        The chosen column names.
    sample_mask : numpy.ndarray or None
        Indices of volumes to keep (scrubbing), over all volumes; None keeps all.
    details : dict
        JSON-ready facts for the sidecar (strategy, censored volumes, mean FD).
    """

    values: np.ndarray | None
    columns: list[str]
    sample_mask: np.ndarray | None = None
    details: dict = field(default_factory=dict)


def read_confounds_table(path: str) -> pd.DataFrame:
    """Read a confounds TSV/CSV with a header row.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ConfoundsError
        If it cannot be parsed or has non-numeric columns.
    """
    if not Path(path).is_file():
        raise ImageNotFoundError(f"Confounds file not found: '{path}'.")
    sep = "," if path.lower().endswith(".csv") else "\t"
    try:
        table = pd.read_csv(path, sep=sep, na_values=["n/a", "N/A", "NaN", "nan", ""])
    except Exception as exc:
        raise ConfoundsError(f"Cannot read confounds file '{path}': {exc}") from None
    if table.shape[1] == 0:
        raise ConfoundsError(f"Confounds file '{path}' has no columns.")
    return table


def _match_columns(table: pd.DataFrame, patterns: Sequence[str], path: str) -> list[str]:
    chosen: list[str] = []
    missing: list[str] = []
    for pattern in patterns:
        hits = [c for c in table.columns if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            missing.append(pattern)
        chosen.extend(c for c in hits if c not in chosen)
    if missing:
        raise ConfoundsError(
            f"Confounds file '{path}' has no column(s) {', '.join(repr(m) for m in missing)}. "
            f"Its columns include: {', '.join(list(table.columns)[:12])}"
            f"{', ...' if table.shape[1] > 12 else ''}."
        )
    return chosen


def select_confounds(
    path: str, regressors: Sequence[str] | None, n_volumes: int
) -> ConfoundSelection:
    """Read ``path`` and keep the ``regressors`` columns.

    Parameters
    ----------
    path : str
        The confounds file of one image.
    regressors : sequence of str or None
        Column names or wildcard patterns; None keeps every column.
    n_volumes : int
        Volumes in the image; the file must have as many rows.

    Returns
    -------
    ConfoundSelection
        Values for all volumes of the image.

    Raises
    ------
    ConfoundsError
        If columns are missing, non-numeric, contain ``n/a`` beyond the first
        row, or the row count differs from ``n_volumes``.
    """
    table = read_confounds_table(path)
    columns = list(table.columns) if not regressors else _match_columns(table, regressors, path)
    chosen = table[columns]
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(chosen[c])]
    if non_numeric:
        raise ConfoundsError(
            f"Confounds file '{path}' has non-numeric column(s): {', '.join(non_numeric)}. "
            "Choose numeric columns with 'regressors'."
        )
    if len(chosen) != n_volumes:
        raise ConfoundsError(
            f"Confounds file '{path}' has {len(chosen)} rows but its image has "
            f"{n_volumes} volumes. Each row must be one volume (before "
            "'discard_scans'); check that the file belongs to this image."
        )
    values = fill_first_row(chosen.to_numpy(dtype=np.float64), columns, path)
    return ConfoundSelection(values=values, columns=columns, details={"strategy": None})


def fill_first_row(values: np.ndarray, columns: Sequence[str], path: str) -> np.ndarray:
    """Fill ``n/a`` of the first row from the second, as nilearn does; reject others.

    Raises
    ------
    ConfoundsError
        If ``n/a`` appears after the first row.
    """
    values = values.copy()
    if len(values) > 1:
        first = np.isnan(values[0])
        values[0, first] = values[1, first]
    bad = np.isnan(values).any(axis=0) | np.isinf(values).any(axis=0)
    if bad.any():
        names = [c for c, b in zip(columns, bad) if b]
        raise ConfoundsError(
            f"Confounds file '{path}' has n/a or infinite values after the first row "
            f"in: {', '.join(names[:8])}. Fill them, or leave these columns out of "
            "'regressors'."
        )
    return values
