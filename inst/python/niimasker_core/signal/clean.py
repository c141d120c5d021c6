"""The one cleaning entry point: detrend, filter, regress confounds, standardize.

The batch and the drop-in maskers both clean through :func:`clean`, with
their options as a :class:`~niimasker_core.params.options.CleaningOptions`.
Region signals (a few hundred columns) are cleaned column-wise in nilearn's
own arithmetic (:func:`~niimasker_core.signal.cleaning.clean_signals`);
many columns (every voxel of a mask) as one linear operator built from that
same cleaning (:func:`~niimasker_core.signal.operator.clean_columns`), which
also cleans each of several ``runs`` on its own.
"""

from __future__ import annotations

import numpy as np

from ..params.options import CleaningOptions
from .cleaning import clean_signals
from .operator import clean_columns

__all__ = ["clean"]


def clean(
    signals: np.ndarray,
    options: CleaningOptions,
    *,
    t_r: float | None,
    confounds: np.ndarray | None = None,
    sample_mask: np.ndarray | None = None,
    many_columns: bool = False,
    in_place: bool = False,
    underdetermined: str = "raise",
) -> np.ndarray:
    """Clean ``signals`` as nilearn's maskers do, with these options.

    Parameters
    ----------
    signals : numpy.ndarray
        ``(n_volumes, n_columns)`` raw signals.
    options : CleaningOptions
        Detrending, standardization, filtering, ``clean_kwargs`` and ``runs``.
    t_r : float or None
        Repetition time in seconds; required when filtering.
    confounds : numpy.ndarray or None
        ``(n_volumes, n_confounds)`` regressors (high-variance ones included
        when asked: see
        :func:`~niimasker_core.confounds.stacking.stack_confounds`).
    sample_mask : numpy.ndarray or None
        Volumes to keep (scrubbing).
    many_columns : bool
        Clean as one linear operator (voxels); ``runs`` apply only here.
    in_place : bool
        With ``many_columns``: write the result into ``signals`` to save memory.
    underdetermined : {"raise", "nilearn"}
        No more volumes than confounds: refuse (the command, where such a
        regression is a mistake) or clean as nilearn does (the drop-ins).

    Returns
    -------
    numpy.ndarray
        ``(n_kept_volumes, n_columns)`` cleaned signals.

    Raises
    ------
    MissingRepetitionTimeError
        If filtering is asked without a TR.
    TooFewVolumesError
        If too few volumes remain.
    """
    common = {
        "t_r": t_r,
        "detrend": options.detrend,
        "standardize": options.standardize,
        "standardize_confounds": options.standardize_confounds,
        "high_pass": options.high_pass,
        "low_pass": options.low_pass,
        "confounds": confounds,
        "sample_mask": sample_mask,
        "underdetermined": underdetermined,
        "clean_kwargs": None
        if options.clean_kwargs is None
        else dict(options.clean_kwargs),
    }
    if many_columns:
        return clean_columns(signals, runs=options.runs, in_place=in_place, **common)
    return clean_signals(signals, **common)
