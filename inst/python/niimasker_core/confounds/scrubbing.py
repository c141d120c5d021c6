"""Which volumes to keep: outlier columns, motion scrubbing, and filling censored rows.

A *sample mask* is the sorted array of 0-based indices of the volumes kept,
as nilearn's ``sample_mask``. fMRIPrep's one-hot ``non_steady_state_outlier*``
and ``motion_outlier*`` columns mark volumes to censor (nilearn turns them
into a sample mask instead of regressors, and so do we). Scrubbing censors
volumes whose framewise displacement or standardized DVARS exceeds a
threshold, then short kept segments (Power et al. 2014), with nilearn's own
segment rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfoundsError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "combine_masks",
    "interpolate_censored",
    "is_outlier_column",
    "outlier_sample_mask",
    "scrub_sample_mask",
]


def is_outlier_column(name: str) -> bool:
    """Return True for fMRIPrep's one-hot outlier columns (nilearn's rule)."""
    return "motion_outlier" in name or "non_steady_state" in name


def outlier_sample_mask(
    table: pd.DataFrame, columns: Sequence[str]
) -> np.ndarray | None:
    """Return the volumes not flagged by any of the one-hot ``columns``.

    Parameters
    ----------
    table : pandas.DataFrame
        The confounds table.
    columns : sequence of str
        One-hot outlier columns (1 marks a volume to censor).

    Returns
    -------
    numpy.ndarray or None
        Kept volume indices, or None when ``columns`` is empty.
    """
    if not columns:
        return None
    flagged = table[list(columns)].fillna(0).to_numpy().sum(axis=1)
    return np.flatnonzero(flagged == 0)


def scrub_sample_mask(
    table: pd.DataFrame,
    *,
    fd_threshold: float | None,
    std_dvars_threshold: float | None,
    scrub: int,
    path: str,
) -> np.ndarray:
    """Return the volumes kept by motion scrubbing.

    Volumes with ``framewise_displacement > fd_threshold`` or ``std_dvars >
    std_dvars_threshold`` (a threshold of None is not applied) are censored;
    then, as in nilearn, kept segments shorter than ``scrub`` volumes are
    censored too.

    Raises
    ------
    ConfoundsError
        If a needed column is missing from the file.
    """
    from nilearn.interfaces.fmriprep.load_confounds_scrub import optimize_scrub

    needed = {"framewise_displacement": fd_threshold, "std_dvars": std_dvars_threshold}
    missing = [c for c, t in needed.items() if t is not None and c not in table.columns]
    if missing:
        raise ConfoundsError(
            f"Confounds file '{path}' has no column(s) {', '.join(missing)}, needed "
            "for scrubbing. Use an fMRIPrep confounds file, or leave out "
            "'fd_threshold'/'std_dvars_threshold' and the scrubbing strategies."
        )
    flagged = np.zeros(len(table), dtype=bool)
    for column, threshold in needed.items():
        if threshold is not None:
            flagged |= table[column].to_numpy(dtype=np.float64) > threshold
    outliers = np.flatnonzero(flagged)
    if scrub > 0 and outliers.size:
        outliers = optimize_scrub(outliers, len(table), scrub)
    return np.setdiff1d(np.arange(len(table)), outliers)


def combine_masks(n_volumes: int, *masks: np.ndarray | None) -> np.ndarray | None:
    """Intersect sample masks; None (keep all) when every mask is None."""
    present = [np.asarray(m, dtype=int) for m in masks if m is not None]
    if not present:
        return None
    kept = np.arange(n_volumes)
    for mask in present:
        kept = np.intersect1d(kept, mask)
    return kept


def interpolate_censored(
    cleaned: np.ndarray, kept: np.ndarray, n_volumes: int
) -> np.ndarray:
    """Return all ``n_volumes`` rows: ``cleaned`` at ``kept``, censored rows interpolated.

    Censored rows between kept volumes get the cubic-spline interpolation
    of the cleaned kept rows (the spline nilearn uses to bridge censored
    volumes before filtering); censored rows before the first or after the
    last kept volume cannot be interpolated and are NaN.

    Parameters
    ----------
    cleaned : numpy.ndarray
        ``(len(kept), n_columns)`` cleaned signals of the kept volumes.
    kept : numpy.ndarray
        Indices (0-based, sorted) of the kept volumes among ``n_volumes``.
    n_volumes : int
        Number of output rows.

    Returns
    -------
    numpy.ndarray
        ``(n_volumes, n_columns)``.
    """
    from scipy.interpolate import CubicSpline

    kept = np.asarray(kept, dtype=int)
    out = np.full((n_volumes, cleaned.shape[1]), np.nan, dtype=np.float64)
    out[kept] = cleaned
    censored = np.setdiff1d(np.arange(n_volumes), kept)
    if censored.size and kept.size >= 2:
        valid = ~np.all(np.isnan(cleaned), axis=0)
        if valid.any():
            spline = CubicSpline(kept, cleaned[:, valid], extrapolate=False)
            filled = spline(censored)
            out[np.ix_(censored, np.flatnonzero(valid))] = filled
    return out
