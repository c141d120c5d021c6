"""Cleaning many columns at once: nilearn's ``signal.clean`` as a linear operator.

Every step of ``nilearn.signal.clean`` before standardization (interpolating
scrubbed volumes, detrending, Butterworth or cosine filtering, censoring,
regressing confounds out) is linear in the signals and the same for every
column. So cleaning the ``T x T`` identity matrix with
:func:`~niimasker_core.signal.cleaning.clean_signals` gives the operator ``M`` with
``clean(X) = M @ X``; applied to ``T x 200,000`` voxel signals in column
blocks (float64 BLAS) it replaces nilearn's Python loop over columns by one
matrix product, and memory stays at the signals plus one block. The
standardization that follows (``zscore_sample``, ``zscore``, ``psc``) is then
done per column exactly as nilearn's ``standardize_signal`` does it.

Columns are centred (float64 mean) before the product and the operator's
response to a constant is added back, unless the operator removes constants
(detrending, high-pass, confounds with an intercept), in which case constant
columns stay exactly zero, as in nilearn.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import CleaningError
from .cleaning import clean_signals

__all__ = ["BLOCK_COLUMNS", "clean_columns", "run_sample_masks"]

#: Columns cleaned per matrix product (T x 4096 float64 is ~10 MB for T = 300).
BLOCK_COLUMNS = 4096

_EPS = np.finfo(np.float64).eps


def run_sample_masks(sample_mask, n_runs: int) -> list[np.ndarray] | None:
    """Return one index array per run, as nilearn's ``check_run_sample_masks`` does.

    Parameters
    ----------
    sample_mask : array-like, list of array-like or None
        Volumes to keep: boolean masks or indices, one per run.
    n_runs : int
        Number of runs.

    Returns
    -------
    list of numpy.ndarray or None
        Indices (int32) of the kept volumes of each run.

    Raises
    ------
    ValueError
        If the number of masks is not the number of runs, or an index is negative.
    """
    if sample_mask is None:
        return None
    if not isinstance(sample_mask, (list, tuple)):
        sample_mask = [sample_mask]
    elif sample_mask and np.ndim(sample_mask[0]) == 0:
        sample_mask = [sample_mask]  # one mask given as a plain list
    masks = []
    for mask in sample_mask:
        mask = np.asarray(mask)
        if mask.dtype == bool:
            mask = np.flatnonzero(mask)
        if mask.size and mask.min() < 0:
            raise ValueError(
                "'sample_mask' should not contain negative values; give the indices "
                "(0-based) or a boolean mask of the volumes to keep."
            )
        masks.append(mask.astype(np.int32))
    if len(masks) != n_runs:
        raise ValueError(
            f"Number of sample_mask ({len(masks)}) not matching number of runs "
            f"({n_runs}): give one mask per run."
        )
    return masks


def clean_columns(
    signals: np.ndarray,
    *,
    t_r: float | None,
    detrend: bool = False,
    standardize: str | None = None,
    standardize_confounds: bool = True,
    high_pass: float | None = None,
    low_pass: float | None = None,
    confounds: np.ndarray | None = None,
    sample_mask=None,
    runs: np.ndarray | None = None,
    clean_kwargs: dict | None = None,
    in_place: bool = False,
    underdetermined: str = "raise",
) -> np.ndarray:
    """Clean ``signals`` as ``nilearn.signal.clean`` does, one matrix product per block.

    Parameters
    ----------
    signals : numpy.ndarray
        ``(n_volumes, n_columns)`` raw signals (float32 or float64).
    t_r : float or None
        Repetition time in seconds; required when filtering.
    detrend : bool
        Remove a linear trend.
    standardize : {None, 'zscore', 'zscore_sample', 'psc'}
        ``'zscore'`` divides by the population std (ddof 0; this project's
        meaning of ``True``), ``'zscore_sample'`` by the sample std (ddof 1),
        ``'psc'`` gives percent signal change, as nilearn.
    standardize_confounds : bool
        Z-score confounds before regression.
    high_pass, low_pass : float or None
        Filter cut-offs in Hz.
    confounds : numpy.ndarray or None
        ``(n_volumes, n_confounds)`` regressors.
    sample_mask : array-like, list of array-like or None
        Volumes kept (indices or booleans); one per run with ``runs``.
    runs : array-like or None
        A run label per volume: each run is cleaned on its own, with the
        arguments nilearn's ``clean`` passes to each run (confounds always
        standardized, no ``clean_kwargs``), so results equal nilearn's.
    clean_kwargs : dict or None
        Further ``nilearn.signal.clean`` arguments (``filter``, ``extrapolate``,
        ``butterworth__<arg>``...).
    in_place : bool
        Write the result into ``signals`` (its first rows) to save memory.
    underdetermined : {"raise", "nilearn"}
        See :func:`~niimasker_core.signal.cleaning.clean_signals`.

    Returns
    -------
    numpy.ndarray
        ``(n_kept_volumes, n_columns)`` cleaned signals, dtype of ``signals``.
    """
    common = {
        "t_r": t_r,
        "detrend": detrend,
        "standardize": standardize,
        "high_pass": high_pass,
        "low_pass": low_pass,
        "underdetermined": underdetermined,
    }
    if runs is None:
        masks = run_sample_masks(sample_mask, 1)
        return _clean_run(
            signals,
            confounds=confounds,
            sample_mask=None if masks is None else masks[0],
            standardize_confounds=standardize_confounds,
            clean_kwargs=clean_kwargs or {},
            in_place=in_place,
            **common,
        )
    runs = np.asarray(runs)
    if len(runs) != signals.shape[0]:
        raise CleaningError(
            "The length of the run vector ({length}) does not match the length "
            "of the signals ({count}): {parameter} gives one run label per volume.",
            parameter="runs",
            length=len(runs),
            count=int(signals.shape[0]),
            fix="Give as many labels as the image has volumes left to clean.",
        )
    labels = np.unique(runs)
    masks = run_sample_masks(sample_mask, len(labels))
    pieces = []
    for i, label in enumerate(labels):
        rows = runs == label
        pieces.append(
            _clean_run(
                signals[rows],
                confounds=None if confounds is None else confounds[rows],
                sample_mask=None if masks is None else masks[i],
                standardize_confounds=True,
                clean_kwargs={},
                in_place=True,  # signals[rows] is already a copy
                **common,
            )
        )
    return np.vstack(pieces)


def _clean_run(
    signals: np.ndarray,
    *,
    t_r,
    detrend,
    standardize,
    standardize_confounds,
    high_pass,
    low_pass,
    confounds,
    sample_mask,
    clean_kwargs,
    in_place,
    underdetermined,
) -> np.ndarray:
    n_volumes, n_columns = signals.shape
    linear = {  # the linear steps, the same for every column
        "t_r": t_r,
        "detrend": detrend,
        "standardize_confounds": standardize_confounds,
        "high_pass": high_pass,
        "low_pass": low_pass,
        "confounds": confounds,
        "clean_kwargs": clean_kwargs,
    }
    if n_volumes < 2:
        return _clean_one_volume(
            signals, standardize=standardize, sample_mask=sample_mask, **linear
        )
    # Everything before standardization is linear and the same for every
    # column: cleaning the identity gives the operator M, clean(X) = M @ X.
    operator = clean_signals(
        np.eye(n_volumes),
        standardize=None,
        sample_mask=None if sample_mask is None else sample_mask.copy(),
        underdetermined=underdetermined,
        **linear,
    )
    if standardize is None and np.array_equal(operator, np.eye(n_volumes)):
        return signals  # nothing to do (nilearn returns the signals unchanged)
    if standardize is None and (rows := _selected_rows(operator)) is not None:
        return signals[rows]  # volumes dropped, nothing else: nilearn's exact values
    response, zero_constants = _constant_response(operator, standardize)
    out = _output(signals, operator.shape[0], in_place)
    psc_shift = None
    if standardize == "psc":
        psc_shift = _psc_uses_original_mean(
            signals, operator, sample_mask, t_r, high_pass, low_pass, clean_kwargs
        )
    product_op = operator.astype(np.float32 if out.dtype == np.float32 else np.float64)
    if response is None and standardize in ("zscore", "zscore_sample"):
        _zscored_product(
            signals, product_op, out, ddof=1 if standardize == "zscore_sample" else 0
        )
        return out
    zero_mean = np.zeros(n_columns, dtype=bool) if standardize == "psc" else None
    # The loop is inline on purpose: as a function call per block, every
    # block's temporaries were freed and faulted in again (25% slower).
    for start in range(0, n_columns, BLOCK_COLUMNS):
        cols = slice(start, min(start + BLOCK_COLUMNS, n_columns))
        block = signals[:, cols].astype(np.float64)
        mean = block.mean(axis=0)
        block -= mean
        constant = ~block.any(axis=0) if zero_constants else None
        # float32 data: the centred product in float32 (its rounding, ~1e-7 of
        # each column's spread, is below nilearn's own float32 rounding)
        cleaned = (product_op @ block.astype(product_op.dtype)).astype(np.float64)
        if response is not None:
            cleaned += np.outer(response, mean)
        if standardize == "psc":
            if psc_shift is not None:
                cleaned += psc_shift[1][cols]
            cleaned, zero_mean[cols] = _psc(cleaned)
        elif standardize in ("zscore", "zscore_sample"):
            cleaned = _zscore(cleaned, ddof=1 if standardize == "zscore_sample" else 0)
        if constant is not None and constant.any():
            cleaned[:, constant] = 0.0
        out[:, cols] = cleaned
    if zero_mean is not None and zero_mean.any():
        warnings.warn(
            "psc standardization strategy is meaningless for features that have a "
            "mean of 0. These time series are set to 0.",
            UserWarning,
            stacklevel=3,
        )
    return out


def _zscored_product(
    signals: np.ndarray, product_op: np.ndarray, out: np.ndarray, ddof: int
) -> None:
    """Write ``zscore(M @ (X - mean(X)))`` into ``out``, in a few passes per block.

    The general loop's steps with fewer passes over memory, for an operator
    that removes constants (detrending, high-pass, confounds with an
    intercept): a constant column is then centred to exactly 0 and comes out
    exactly 0 without being looked for. Each column is centred in float64
    and rounded to the product's dtype in one pass; the product's column
    means and sums of squares are taken in float64, and the scaled result is
    written into ``out`` directly (nilearn's ``standardize_signal``, whose
    second centring of already centred columns changes them by rounding only).
    """
    n_columns = signals.shape[1]
    width = min(BLOCK_COLUMNS, n_columns)
    centred = np.empty((signals.shape[0], width), dtype=product_op.dtype)
    for start in range(0, n_columns, BLOCK_COLUMNS):
        cols = slice(start, min(start + BLOCK_COLUMNS, n_columns))
        block = signals[:, cols]
        here = centred[:, : block.shape[1]]
        mean = block.mean(axis=0, dtype=np.float64)
        np.subtract(block, mean, out=here, casting="unsafe")
        cleaned = product_op @ here
        cleaned_mean = cleaned.mean(axis=0, dtype=np.float64)
        deviations = np.subtract(cleaned, cleaned_mean, dtype=np.float64)
        squares = np.einsum("ij,ij->j", deviations, deviations)
        std = np.sqrt(squares / (cleaned.shape[0] - ddof))
        std[std < _EPS] = 1.0
        np.divide(deviations, std, out=out[:, cols], casting="unsafe")


def _selected_rows(operator: np.ndarray) -> np.ndarray | None:
    """Return the rows an operator picks when it only selects volumes, else None."""
    if not np.all((operator == 0) | (operator == 1)):
        return None
    if not np.all(operator.sum(axis=1) == 1):
        return None
    return operator.argmax(axis=1)


def _constant_response(
    operator: np.ndarray, standardize: str | None
) -> tuple[np.ndarray | None, bool]:
    """Return how the operator treats a constant column.

    Returns
    -------
    response : numpy.ndarray or None
        ``M @ 1``, added back times each column's mean (the columns are
        centred before the product); None when the operator removes constants
        (detrending, high-pass, confounds with an intercept).
    zero_constants : bool
        A constant column comes out constant (up to rounding) when M maps a
        constant to a constant: standardizing it then gives exactly 0, as in
        nilearn, not rounding noise divided by a tiny std.
    """
    response = operator.sum(axis=1)
    keeps_constants = np.abs(response).max() > 1e-8
    flat_response = np.ptp(response) <= 1e-9 * max(1.0, np.abs(response).max())
    zero_constants = flat_response and standardize in ("psc", "zscore", "zscore_sample")
    return (response if keeps_constants else None), bool(zero_constants)


def _output(signals: np.ndarray, n_out: int, in_place: bool) -> np.ndarray:
    """Return where the cleaned signals go: ``signals`` itself, when allowed."""
    out_dtype = signals.dtype if signals.dtype.kind == "f" else np.dtype(np.float64)
    if in_place and signals.dtype == out_dtype and n_out <= signals.shape[0]:
        return signals[:n_out]
    return np.empty((n_out, signals.shape[1]), dtype=out_dtype)


def _zscore(signals: np.ndarray, ddof: int) -> np.ndarray:
    """Center and scale each column, as nilearn's ``standardize_signal``."""
    signals -= signals.mean(axis=0)
    std = signals.std(axis=0, ddof=ddof)
    std[std < _EPS] = 1.0
    signals /= std
    return signals


def _psc(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percent signal change of each column; columns of mean 0 become 0."""
    mean = signals.mean(axis=0)
    invalid = np.abs(mean) < _EPS
    out = (signals - mean) / np.abs(mean)
    out *= 100
    out[:, invalid] = 0
    return out, invalid


def _psc_uses_original_mean(
    signals, operator, sample_mask, t_r, high_pass, low_pass, clean_kwargs
):
    """Return ``(True, original_means)`` when nilearn's psc adds the original mean back.

    nilearn's ``clean`` adds each column's mean before cleaning (after the
    scrubbed volumes are interpolated or censored) back to the cleaned
    signals when cleaning removed most of the mean: on average over all
    columns, ``|mean(cleaned)| < 0.1 |mean(original)|``.
    """
    n_volumes = signals.shape[0]
    original_weights = _original_mean_weights(
        n_volumes, sample_mask, t_r, high_pass, low_pass, clean_kwargs
    )
    cleaned_weights = operator.mean(axis=0)
    original = np.empty(signals.shape[1])
    cleaned = np.empty(signals.shape[1])
    for start in range(0, signals.shape[1], BLOCK_COLUMNS):
        cols = slice(start, min(start + BLOCK_COLUMNS, signals.shape[1]))
        block = signals[:, cols].astype(np.float64)
        original[cols] = original_weights @ block
        cleaned[cols] = cleaned_weights @ block
    denominator = np.abs(original).mean()
    if denominator == 0 or not np.abs(cleaned).mean() / denominator < 1e-1:
        return None
    return True, original


def _original_mean_weights(
    n_volumes, sample_mask, t_r, high_pass, low_pass, clean_kwargs
) -> np.ndarray:
    """Weights ``w`` with ``w @ X`` = nilearn's ``original_mean_signals``."""
    if sample_mask is None:
        return np.full(n_volumes, 1.0 / n_volumes)
    kwargs = clean_kwargs or {}
    butterworth = kwargs.get("filter", "butterworth") == "butterworth" and (
        high_pass is not None or low_pass is not None
    )
    if not butterworth:
        weights = np.zeros(n_volumes)
        weights[sample_mask] = 1.0 / len(sample_mask)
        return weights
    from scipy.interpolate import CubicSpline

    frame_times = np.arange(n_volumes) * t_r
    volumes = np.eye(n_volumes)
    spline = CubicSpline(
        frame_times[sample_mask],
        volumes[sample_mask],
        extrapolate=kwargs.get("extrapolate", False),
    )
    # nilearn writes the interpolated rows at ``~sample_mask`` (bitwise not of
    # the kept indices, i.e. counted from the end): reproduced as it is.
    replaced = ~np.asarray(sample_mask)
    volumes[replaced] = spline(frame_times)[replaced]
    volumes = volumes[~np.isnan(volumes).all(axis=1)]
    return volumes.mean(axis=0)


def _clean_one_volume(signals, **options) -> np.ndarray:
    """One volume (a 3D image): nilearn's own ``clean`` on the single row."""
    from nilearn import signal

    standardize = options.pop("standardize")
    clean_kwargs = options.pop("clean_kwargs")
    if standardize == "zscore":
        standardize = "zscore_sample"  # skipped with a warning for one volume
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="nilearn")
        return signal.clean(signals, standardize=standardize, **options, **clean_kwargs)
