"""Confounds as nilearn's maskers take them, with the image's high-variance confounds.

The drop-in maskers accept confounds as arrays, data frames, files or lists
of them, and both they and the batch's voxel extraction may add nilearn's
``high_variance_confounds`` of the image; :func:`stack_confounds` puts them
together as nilearn's ``signal.clean`` does.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["sanitize_confounds", "stack_confounds"]


def stack_confounds(
    image: Any,
    n_volumes: int,
    confounds: Any,
    high_variance: bool,
    first_volume: int = 0,
) -> np.ndarray | None:
    """Stack high-variance confounds (if asked) and the given ones, as nilearn does.

    Parameters
    ----------
    image : str, nibabel image or numpy.ndarray
        The image (its high-variance confounds are computed by nilearn), or
        its samples as a ``(volumes, samples)`` array (a surface run).
    n_volumes : int
        Its volumes, discarded ones included.
    confounds : array-like, DataFrame, path, list of them or None
        The user's confounds.
    high_variance : bool
        Prepend ``nilearn.image.high_variance_confounds(image)``.
    first_volume : int
        Volumes before it were discarded (their high-variance rows are dropped).

    Returns
    -------
    numpy.ndarray or None
        ``(n_volumes, n_confounds)`` float regressors.
    """
    all_confounds = []
    if high_variance:
        if isinstance(image, np.ndarray):  # as nilearn.image does after reading
            from nilearn.signal import high_variance_confounds  # nilearn: when used
        else:
            from nilearn.image import high_variance_confounds  # nilearn: when used

        all_confounds.append(high_variance_confounds(image)[first_volume:])
    if confounds is not None:
        if isinstance(confounds, list):
            all_confounds += confounds
        else:
            all_confounds.append(confounds)
    if not all_confounds:
        return None
    return sanitize_confounds(n_volumes - first_volume, all_confounds)


def sanitize_confounds(n_time: int, confounds: Any) -> np.ndarray | None:
    """Return confounds as one float array, as ``nilearn.signal.sanitize_confounds``.

    Arrays and data frames (or a list of them) are checked and stacked with
    numpy alone, with nilearn's messages, so that a masker given arrays never
    imports ``nilearn.signal`` (and the scikit-learn it pulls in). Files and
    anything else go to nilearn's own function (its CSV reading, its errors).

    Parameters
    ----------
    n_time : int
        The volumes of the signals.
    confounds : array, DataFrame, path, or a list or tuple of them, or None
        The confounds.

    Returns
    -------
    numpy.ndarray or None
        ``(n_time, n_confounds)``, float (float64 for 8-byte integers, as
        nilearn).

    Raises
    ------
    ValueError
        If an array is not 1D or 2D, or its length is not ``n_time``.
    """
    if confounds is None:
        return None
    items = list(confounds) if isinstance(confounds, (list, tuple)) else [confounds]
    frame = _frame_type()
    if not all(
        isinstance(c, np.ndarray) or (frame is not None and isinstance(c, frame))
        for c in items
    ):
        from nilearn.signal import sanitize_confounds as nilearn_sanitize  # files

        return nilearn_sanitize(n_time, confounds)
    arrays = [_confound_array(n_time, c) for c in items]
    stacked = np.hstack(arrays)
    if stacked.dtype.kind != "f":
        stacked = stacked.astype(
            np.float64 if stacked.dtype.itemsize == 8 else np.float32
        )
    return stacked


def _frame_type() -> type | None:
    """Return ``pandas.DataFrame`` when pandas is loaded (a frame given means it is)."""
    pandas = sys.modules.get("pandas")
    return getattr(pandas, "DataFrame", None)


def _confound_array(n_time: int, confound: Any) -> np.ndarray:
    """Check one array (or frame) as nilearn's ``_sanitize_confound_dtype`` does."""
    if not isinstance(confound, np.ndarray):
        return confound.to_numpy()  # a frame: nilearn checks no length here
    if confound.ndim == 1:
        confound = np.atleast_2d(confound).T
    elif confound.ndim != 2:
        raise ValueError(
            f"confound array has an incorrect number of dimensions: {confound.ndim}"
        )
    if confound.shape[0] != n_time:
        raise ValueError(
            "Confound signal has an incorrect length. "
            f"Signal length: {n_time}; "
            f"confound length: {confound.shape[0]}."
        )
    return confound
