"""What the engine reduces: which samples of a volume a set of columns reads, and how.

The ROI kinds build a :class:`Reduction` for each image's domain; the engine
streams the image once and feeds every chunk of volumes to every reduction.
The engine owns this contract; the kinds implement it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..domains.base import Domain, SampledImage, float_signal_dtype

__all__ = ["Reduction", "signal_dtype"]


@dataclass
class Reduction:
    """How one ROI set turns volumes into columns.

    Attributes
    ----------
    columns : list of str
        Output column names, in output order.
    voxels : numpy.ndarray
        Flat indices of the samples read from each volume of ``domain`` (for
        a grid: voxels in NIfTI/Fortran order).
    reduce : callable
        ``reduce(values)`` takes an array ``(n_volumes, len(voxels))`` and
        returns ``(n_volumes, len(columns))`` in float64.
    domain : Domain or None
        The domain the indices refer to. None means the image's own;
        otherwise each volume is resampled to it first (continuous
        interpolation), as nilearn's ``NiftiMasker`` does when mask and image
        differ: at ``voxels`` only, unless the volumes are smoothed there.
    empty_columns : list of str
        Regions with no voxels on this domain: their column is all NaN (with
        voxel extraction, they have no column).
    region_voxels : list of int
        Voxels each region reads, in region order.
    coverage : list of dict
        One row per region: ``region``, ``voxels_in_roi``, ``voxels_used``,
        ``fraction`` (always rows; empty when not known).
    images : dict
        Derived images worth saving (e.g. ``spheres_img``), by name.
    reduce_omit : callable or None
        ``reduce_omit(values)`` for ``values`` holding NaN where a voxel is
        not finite: each column's statistic over its finite voxels, and the
        ``(n_volumes, len(columns))`` count of those voxels
        (``nan_policy="omit"``). None where that has no meaning (maps, voxels).
    elementwise : bool
        ``reduce`` keeps each voxel's value (a voxel gather), so clipping its
        output equals clipping its input: the engine may then clip resampled
        values after the stream instead of reading the image's range first.
    dtype : numpy.dtype
        Dtype of the array the engine collects ``reduce``'s output in (float64
        unless the reduction says otherwise, e.g. voxel gathers of float32
        images, which would double their memory in float64).
    non_finite : {None, 'zero'}
        How non-finite values inside the ROI are read: None follows the
        extraction's ``nan_policy``; ``'zero'`` reads them as 0 the way
        nilearn's ``NiftiMasker`` does (the image is then read in memory,
        smoothed and resampled there).
    keep_float_dtype : bool
        The signals keep the image's float dtype, other images giving float32
        (nilearn's ``NiftiMasker``); otherwise they are float32 for float32
        images and float64 for others (nilearn's region maskers).
    groups : numpy.ndarray or None
        A mean over groups of samples, computed by the engine
        (:mod:`~niimasker_core.engine.group_means`): the column of each
        sample of ``voxels``. Samples with no signal in the run are left out
        of their column's mean; ``reduce`` is not used. Such reductions can
        be fed samples in pieces, so images stored sample by sample (CIFTI)
        stream without being held whole.
    """

    columns: list[str]
    voxels: np.ndarray
    reduce: Callable[[np.ndarray], np.ndarray]
    domain: Domain | None = None
    empty_columns: list[str] = field(default_factory=list)
    region_voxels: list[int] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, Any] = field(default_factory=dict)
    reduce_omit: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    dtype: Any = np.float64
    elementwise: bool = False
    non_finite: str | None = None
    keep_float_dtype: bool = False
    groups: np.ndarray | None = None


def signal_dtype(image: SampledImage, reduction: Reduction) -> np.dtype:
    """Return the dtype of a reduction's signals, as the nilearn masker it follows.

    nilearn's region maskers return float32 signals for float32 data and
    float64 otherwise (nilearn issue 2135); its ``NiftiMasker`` keeps float
    data's dtype and gives float32 for others. Cleaning then runs on that dtype.
    """
    if reduction.keep_float_dtype:
        return float_signal_dtype(image.source_dtype)
    return np.dtype(np.float32) if image.dtype == np.float32 else np.dtype(np.float64)
