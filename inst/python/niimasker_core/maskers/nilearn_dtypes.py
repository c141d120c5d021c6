"""The dtype nilearn's region maskers return when no ``dtype`` is asked for.

nilearn's signals take their dtype from each step of its pipeline, not from
the image alone: resampling an integer image makes it float
(``resample_img``: ``int16`` -> ``float32``), smoothing too
(``smooth_array``), the extraction has its own rule (labels: float32 only
for float32 data; maps: LAPACK's type for the data and the maps, float32
when both are float32 or small integers; spheres: the data's own dtype),
and ``signal.clean`` makes integers float (float64 for 8-byte ones, float32
otherwise). The drop-ins compute in float64 or float32 and return this dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cleaned", "labels_signals", "maps_signals", "resampled", "smoothed"]


def resampled(data: Any) -> np.dtype:
    """Return the dtype of ``data`` after ``resample_img(interpolation='continuous')``.

    Parameters
    ----------
    data : dtype-like
        The image's dtype.

    Returns
    -------
    numpy.dtype
        Signed integers become the float of their size (float32 at least);
        other dtypes are kept, as nilearn's ``_get_resampled_data_dtype``.
    """
    data = np.dtype(data)
    if data.kind != "i":
        return data
    return np.dtype(np.float64 if data.itemsize == 8 else np.float32)


def smoothed(data: Any) -> np.dtype:
    """Return the dtype of ``data`` after nilearn's ``smooth_array``.

    Parameters
    ----------
    data : dtype-like
        The image's dtype.

    Returns
    -------
    numpy.dtype
        Integers become float64 (8-byte ones) or float32; floats are kept.
    """
    return cleaned(data)


def cleaned(data: Any) -> np.dtype:
    """Return the dtype ``nilearn.signal.clean`` returns for signals of ``data``.

    Parameters
    ----------
    data : dtype-like
        The signals' dtype.

    Returns
    -------
    numpy.dtype
        Integers become float64 (8-byte ones) or float32; floats are kept.
    """
    data = np.dtype(data)
    if data.kind == "f":
        return data
    return np.dtype(np.float64 if data.itemsize == 8 else np.float32)


def labels_signals(data: Any) -> np.dtype:
    """Return the dtype of ``img_to_signals_labels`` for data of dtype ``data``.

    Parameters
    ----------
    data : dtype-like
        The (resampled, smoothed) data's dtype.

    Returns
    -------
    numpy.dtype
        float32 for float32 data, float64 otherwise.
    """
    return np.dtype(np.float32 if np.dtype(data) == np.float32 else np.float64)


def maps_signals(data: Any, maps: Any) -> np.dtype:
    """Return the dtype of ``scipy.linalg.lstsq(maps, data)``, nilearn's maps signals.

    Parameters
    ----------
    data : dtype-like
        The (resampled, smoothed) data's dtype.
    maps : dtype-like
        The maps' dtype (after their own resampling).

    Returns
    -------
    numpy.dtype
        float32 when both are float32 or integers of at most 2 bytes (LAPACK's
        single precision), float64 otherwise.
    """

    def single(dtype: np.dtype) -> bool:
        return dtype == np.float32 or (dtype.kind in "iub" and dtype.itemsize <= 2)

    both = single(np.dtype(data)) and single(np.dtype(maps))
    return np.dtype(np.float32 if both else np.float64)
