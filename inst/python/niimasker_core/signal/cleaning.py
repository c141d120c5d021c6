"""Temporal cleaning: the one call into ``nilearn.signal.clean``.

niimasker keeps the seed's meaning of ``standardize``: ``True`` and
``'zscore'`` divide by the population standard deviation (ddof 0), as nilearn
did before 0.14 dropped ``'zscore'`` and mapped ``True`` to
``'zscore_sample'``. ``'zscore_sample'`` (ddof 1) and ``'psc'`` are nilearn's.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import MissingRepetitionTimeError, TooFewVolumesError
from .butterworth import butter_sos, sosfiltfilt

__all__ = [
    "clean_signals",
    "native_applies",
    "needs_t_r",
    "require_t_r",
    "series_options",
]


def needs_t_r(high_pass: float | None, low_pass: float | None) -> bool:
    """Return True when the cleaning settings filter and so need a TR."""
    return high_pass is not None or low_pass is not None


def require_t_r(
    t_r: float | None,
    high_pass: float | None,
    low_pass: float | None,
    image: str | None = None,
) -> None:
    """Refuse filtering without a repetition time.

    Raises
    ------
    MissingRepetitionTimeError
        If ``high_pass`` or ``low_pass`` is set and ``t_r`` is None.
    """
    if not needs_t_r(high_pass, low_pass) or t_r is not None:
        return
    if image is None:
        raise MissingRepetitionTimeError(
            "'high_pass'/'low_pass' filtering needs the repetition time 't_r' in "
            "seconds. Give 't_r' (e.g. --t_r 2), or a BIDS JSON sidecar with "
            "'RepetitionTime' next to the image."
        )
    raise MissingRepetitionTimeError(
        f"'high_pass'/'low_pass' filtering needs the repetition time, and none was "
        f"found for '{image}' (no 't_r', no JSON sidecar, no header TR). "
        "Give 't_r' in seconds, e.g. --t_r 2."
    )


def series_options(
    *,
    detrend: bool,
    standardize: str | None,
    high_pass: float | None,
    low_pass: float | None,
    confounds: bool,
) -> list[str]:
    """Return the cleaning options asked for, each of which needs several volumes."""
    asked = {
        "detrend": detrend,
        "standardize": bool(standardize),
        "high_pass": high_pass is not None,
        "low_pass": low_pass is not None,
        "regressor_files": confounds,
    }
    return [name for name, on in asked.items() if on]


def clean_signals(
    signals: np.ndarray,
    *,
    t_r: float | None,
    detrend: bool = False,
    standardize: str | None = None,
    standardize_confounds: bool = True,
    high_pass: float | None = None,
    low_pass: float | None = None,
    confounds: np.ndarray | None = None,
    sample_mask: np.ndarray | None = None,
    clean_kwargs: dict | None = None,
    underdetermined: str = "raise",
) -> np.ndarray:
    """Detrend, filter, regress confounds and standardize, as nilearn's maskers do.

    Columns that are entirely NaN (regions with no voxels) are left NaN and
    do not take part in cleaning.

    Parameters
    ----------
    signals : numpy.ndarray
        ``(n_volumes, n_columns)`` raw signals.
    t_r : float or None
        Repetition time in seconds; required when filtering.
    detrend : bool
        Remove a linear trend.
    standardize : {None, 'zscore', 'zscore_sample', 'psc'}
        Standardization; see the module docstring.
    standardize_confounds : bool
        Z-score confounds before regression.
    high_pass, low_pass : float or None
        Butterworth cut-offs in Hz.
    confounds : numpy.ndarray or None
        ``(n_volumes, n_confounds)`` regressors, rows matching ``signals``.
    sample_mask : numpy.ndarray or None
        Indices of the volumes to keep (scrubbing); the others are
        interpolated before filtering and dropped from the result.
    clean_kwargs : dict or None
        Further keyword arguments of ``nilearn.signal.clean`` (``filter``,
        ``extrapolate``, ``butterworth__padtype``, ...), as nilearn's maskers
        pass their ``clean_args``.
    underdetermined : {"raise", "nilearn"}
        When no more volumes remain than confounds: refuse (the command), or
        clean as ``nilearn.signal.clean`` does all the same (the drop-ins).

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
    require_t_r(t_r, high_pass, low_pass)
    n_kept = signals.shape[0] if sample_mask is None else len(sample_mask)
    if (
        n_kept == 1
        and sample_mask is None
        and not series_options(
            detrend=detrend,
            standardize=standardize,
            high_pass=high_pass,
            low_pass=low_pass,
            confounds=confounds is not None,
        )
    ):
        return signals  # one volume (a 3D image), nothing asked: nothing to do
    n_confounds = 0 if confounds is None else confounds.shape[1]
    too_many_confounds = (
        confounds is not None and n_kept <= n_confounds + int(detrend) + 1
    )
    if n_kept < 2 or (too_many_confounds and underdetermined == "raise"):
        raise TooFewVolumesError(
            f"Only {n_kept} volumes remain for {n_confounds} confounds"
            f"{' and detrending' if detrend else ''}: the regression is not "
            "identifiable. Use fewer 'regressors', fewer 'discard_scans', or a "
            "looser scrubbing threshold."
        )
    valid = ~np.all(np.isnan(signals), axis=0)
    options = {
        "t_r": t_r,
        "detrend": detrend,
        "standardize": standardize,
        "standardize_confounds": standardize_confounds,
        "high_pass": high_pass,
        "low_pass": low_pass,
        "confounds": confounds,
    }
    if not too_many_confounds and native_applies(
        **options, sample_mask=sample_mask, clean_kwargs=clean_kwargs
    ):
        cleaned_valid = _clean_native(signals[:, valid], **options)
    else:
        cleaned_valid = _clean_with_nilearn(
            signals[:, valid],
            **options,
            sample_mask=sample_mask,
            clean_kwargs=clean_kwargs,
        )
    if standardize == "zscore":
        cleaned_valid = _zscore(cleaned_valid, ddof=0)
    out = np.full(
        (cleaned_valid.shape[0], signals.shape[1]), np.nan, dtype=cleaned_valid.dtype
    )
    out[:, valid] = cleaned_valid
    return out


def _clean_with_nilearn(
    signals: np.ndarray, *, standardize, clean_kwargs, **options: Any
) -> np.ndarray:
    """Call ``nilearn.signal.clean``; the seed's ``zscore`` is done by the caller."""
    from nilearn import signal

    nilearn_standardize = (
        standardize if standardize in ("zscore_sample", "psc") else None
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="nilearn")
        return signal.clean(
            signals,
            standardize=nilearn_standardize,
            **options,
            # nilearn's own vectorised Butterworth path: one sosfiltfilt call for
            # all columns instead of a Python loop over them (400 regions: 0.3 s
            # -> 0.01 s; voxels: minutes -> seconds). It keeps the filtered
            # signals in float64 where the loop writes them back into float32,
            # so results differ from the masker's by float32 rounding (~1e-7).
            **{"butterworth__copy": True, **(clean_kwargs or {})},
        )


def native_applies(
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
) -> bool:
    """Tell whether :func:`_clean_native` computes exactly what nilearn would.

    It covers nilearn's default path: Butterworth filtering (or none), no
    scrubbing, ``zscore_sample``/``zscore``/no standardization, confounds
    detrended or standardized. Everything else (``psc``, ``sample_mask``,
    ``clean_kwargs``, cut-offs nilearn would adjust with a warning) goes to
    ``nilearn.signal.clean`` itself, with its warnings and errors. A series
    too short to pad raises scipy's own ``ValueError`` either way.
    """
    if sample_mask is not None or standardize not in (None, "zscore_sample", "zscore"):
        return False
    if set(clean_kwargs or {}) - {"butterworth__copy"}:
        return False
    if confounds is not None and not detrend and not standardize_confounds:
        return False  # nilearn warns that the regression is then ill-posed
    cutoffs = [f for f in (high_pass, low_pass) if f is not None]
    if cutoffs:
        nyquist = 0.5 / t_r
        if any(not 0 < f < nyquist for f in cutoffs):
            return False
        if len(cutoffs) == 2 and high_pass >= low_pass:
            return False
    return True


def _clean_native(
    signals: np.ndarray,
    *,
    t_r,
    detrend: bool,
    standardize: str | None,
    standardize_confounds: bool,
    high_pass,
    low_pass,
    confounds,
) -> np.ndarray:
    """``nilearn.signal.clean`` on its default path, without importing it.

    Step for step as nilearn 0.14 (detrend signals and confounds, filter both
    with :mod:`.butterworth`, z-score the confounds, project them out with a
    pivoted QR, z-score with ``ddof=1``), with the same dtypes, so results
    equal nilearn's to rounding (tested beside it). It saves the ~1 s import
    of ``nilearn.signal`` (``scipy.signal``, ``scipy.stats``, scikit-learn).
    """
    signals = _as_float(signals.copy())
    if confounds is not None:
        confounds = _as_float(np.asarray(confounds))
        if confounds.ndim == 1:
            confounds = confounds[:, None]
    if detrend:
        signals = _detrend(signals)
        if confounds is not None:
            confounds = _detrend(confounds)
    if high_pass is not None or low_pass is not None:
        if high_pass is not None and low_pass is not None:
            sos = butter_sos(5, [high_pass, low_pass], "bandpass", 1.0 / t_r)
        elif high_pass is not None:
            sos = butter_sos(5, [high_pass], "highpass", 1.0 / t_r)
        else:
            sos = butter_sos(5, [low_pass], "lowpass", 1.0 / t_r)
        signals = sosfiltfilt(sos, signals)
        if confounds is not None:
            confounds = sosfiltfilt(sos, confounds)
    if confounds is not None:
        if standardize_confounds:
            confounds = _zscore(confounds, ddof=1)
        else:
            confounds = confounds.copy()
            confound_max = np.max(np.abs(confounds), axis=0)
            confound_max[confound_max == 0] = 1
            confounds /= confound_max
        from scipy import linalg  # scipy: only to regress confounds

        q, r, _ = linalg.qr(confounds, mode="economic", pivoting=True)
        q = q[:, np.abs(np.diag(r)) > np.finfo(np.float64).eps * 100.0]
        signals -= q.dot(q.T).dot(signals)
    if standardize == "zscore_sample":  # the seed's "zscore": by the caller
        signals = _zscore(signals, ddof=1)
    return signals


def _as_float(data: np.ndarray) -> np.ndarray:
    if data.dtype.kind != "f":
        return data.astype(np.float64 if data.dtype.itemsize == 8 else np.float32)
    return data


def _even_slices(n: int, n_packs: int):
    start = 0
    for pack in range(n_packs):
        size = n // n_packs + (1 if pack < n % n_packs else 0)
        if size > 0:
            yield slice(start, start + size)
            start += size


def _detrend(signals: np.ndarray) -> np.ndarray:
    """Remove a linear trend as nilearn's ``_detrend``, on a copy, in the same dtype."""
    signals = signals.copy()
    signals -= np.mean(signals, axis=0)
    regressor = np.arange(signals.shape[0], dtype=signals.dtype)
    regressor -= regressor.mean()
    std = np.sqrt((regressor**2).sum())
    if not std < np.finfo(np.float64).eps:
        regressor /= std
    regressor = regressor[:, np.newaxis]
    n_batches = 1 if signals.shape[1] < 500 else 10
    for batch in _even_slices(signals.shape[1], n_batches):
        signals[:, batch] -= np.dot(regressor[:, 0], signals[:, batch]) * regressor
    return signals


def _zscore(signals: np.ndarray, ddof: int) -> np.ndarray:
    """Center and divide by the std, on a copy: nilearn's ``zscore_sample`` (ddof 1).

    ``ddof=0`` is the seed's ``zscore`` (population std, as nilearn < 0.14 did).
    Stds below eps become 1, as in nilearn; one volume is returned as it is.
    """
    if signals.shape[0] < 2:
        return signals
    signals = signals - signals.mean(axis=0)
    std = signals.std(axis=0, ddof=ddof)
    std[std < np.finfo(np.float64).eps] = 1.0
    signals /= std
    return signals
