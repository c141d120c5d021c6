"""What the engine reduces: which samples of a volume a set of columns reads, and how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..domains.volume.grid import Grid

__all__ = ["Reduction"]


@dataclass
class Reduction:
    """How one ROI set turns volumes into columns.

    Attributes
    ----------
    columns : list of str
        Output column names, in output order.
    voxels : numpy.ndarray
        Flat indices (NIfTI/Fortran order) of the voxels read from each volume
        of ``grid``.
    reduce : callable
        ``reduce(values)`` takes an array ``(n_volumes, len(voxels))`` and
        returns ``(n_volumes, len(columns))`` in float64.
    grid : Grid or None
        Grid the voxel indices refer to. None means the image's own grid;
        otherwise each volume is resampled (continuous interpolation) to it
        first, as nilearn's ``NiftiMasker`` does when mask and image differ.
    empty_columns : list of str
        Regions with no voxels on this grid: their column is all NaN (with
        voxel extraction, they have no column).
    region_voxels : list of int
        Voxels each region reads on this grid, in region order.
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
    """

    columns: list[str]
    voxels: np.ndarray
    reduce: Callable[[np.ndarray], np.ndarray]
    grid: Grid | None = None
    empty_columns: list[str] = field(default_factory=list)
    region_voxels: list[int] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, Any] = field(default_factory=dict)
    reduce_omit: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    dtype: Any = np.float64
    elementwise: bool = False
