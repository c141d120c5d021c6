"""Reducers: how the voxels of each region of a label array become columns.

Each function returns a :class:`~niimasker_core.rois.base.Reduction` whose
``reduce`` turns the gathered voxels of a chunk of volumes into one column
per region (a mean, a ``scipy.ndimage`` statistic) or per voxel. The sums are
made in the order nilearn makes them, so the results are bit-identical to
``NiftiLabelsMasker`` and ``NiftiMasker``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..domains.volume.grid import Grid
from ..engine import Reduction
from ..errors import RoiError
from .base import span_statistic_omitting

__all__ = ["mean_reducer", "statistic_reducer", "voxel_reduction"]


def _c_order_voxels(
    data: np.ndarray, region_ids: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return flat Fortran indices grouped by region (C order within) and counts."""
    shape = data.shape
    c_flat = data.ravel(order="C")
    order = np.argsort(c_flat, kind="stable")  # stable: C order within a label
    sorted_labels = c_flat[order]
    starts = np.searchsorted(sorted_labels, region_ids, side="left")
    ends = np.searchsorted(sorted_labels, region_ids, side="right")
    pieces = [order[s:e] for s, e in zip(starts, ends)]
    c_index = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)
    i, j, k = np.unravel_index(c_index, shape, order="C")
    f_index = np.ravel_multi_index((i, j, k), shape, order="F")
    return f_index.astype(np.int64), (ends - starts).astype(np.int64)


def mean_reducer(
    data: np.ndarray, region_ids: Sequence[int], names: Sequence[str]
) -> Reduction:
    """Return a reduction to the mean of each region, summed in float64 as nilearn does.

    Parameters
    ----------
    data : numpy.ndarray
        3D integer labels on the image grid.
    region_ids : sequence of int
        Regions to report, in column order.
    names : sequence of str
        Column names.

    Returns
    -------
    Reduction
        ``region_voxels`` holds the voxel count of each region.
    """
    from scipy.sparse import csr_array

    voxels, counts = _c_order_voxels(data, region_ids)
    present = counts > 0
    n_regions = len(region_ids)
    # Read the voxels in memory order (a fast, forward gather), but sum each
    # region in float64 in nilearn's order: scipy.ndimage.mean is a bincount
    # over the C-ordered volume, and row r of `members` lists region r's
    # voxels in that same C order, so the CSR product adds the same values in
    # the same sequence and the means are bit-identical.
    memory_order = np.argsort(voxels)
    position = np.empty_like(memory_order)
    position[memory_order] = np.arange(memory_order.size)
    members = csr_array(
        (np.ones(voxels.size), position, np.concatenate([[0], np.cumsum(counts)])),
        shape=(n_regions, voxels.size),
    )
    divisor = np.where(present, counts, 1).astype(np.float64)
    absent = ~present

    def reduce(values: np.ndarray) -> np.ndarray:
        out = np.empty((values.shape[0], n_regions))
        volume64 = np.empty(values.shape[1])  # reused: no allocation per volume
        for row, volume in enumerate(values):
            np.copyto(volume64, volume)
            out[row] = members @ volume64
        out /= divisor
        out[:, absent] = np.nan
        return out

    def reduce_omit(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        finite = np.isfinite(values)
        clean = np.where(finite, values, 0)
        out = np.empty((values.shape[0], n_regions))
        used = np.empty((values.shape[0], n_regions))
        for row in range(values.shape[0]):
            out[row] = members @ clean[row].astype(np.float64)
            used[row] = members @ finite[row].astype(np.float64)
        out /= np.where(used > 0, used, 1)
        out[used == 0] = np.nan
        return out, used.astype(np.int64)

    return Reduction(
        columns=list(names),
        voxels=voxels[memory_order],
        reduce=reduce,
        empty_columns=[n for n, ok in zip(names, present) if not ok],
        region_voxels=counts.tolist(),
        reduce_omit=reduce_omit,
    )


def statistic_reducer(
    data: np.ndarray, region_ids: Sequence[int], names: Sequence[str], strategy: str
) -> Reduction:
    """Return a reduction to a ``scipy.ndimage`` statistic of each region.

    Parameters
    ----------
    data : numpy.ndarray
        3D integer labels on the image grid.
    region_ids : sequence of int
        Regions to report, in column order.
    names : sequence of str
        Column names.
    strategy : str
        ``median``, ``sum``, ``minimum``, ``maximum``, ``variance`` or
        ``standard_deviation`` (nilearn's ``strategy`` values).

    Returns
    -------
    Reduction
        ``region_voxels`` holds the voxel count of each region.
    """
    voxels, counts = _c_order_voxels(data, region_ids)
    present = counts > 0
    n_regions = len(region_ids)
    statistic = _region_statistic(strategy, counts)

    def reduce(values: np.ndarray) -> np.ndarray:
        out = np.full((values.shape[0], n_regions), np.nan)
        if present.any():
            out[:, present] = statistic(values)
        return out

    bounds = np.concatenate([[0], np.cumsum(counts)])
    spans = [
        (int(c), int(bounds[c]), int(bounds[c + 1])) for c in np.flatnonzero(present)
    ]
    return Reduction(
        columns=list(names),
        voxels=voxels,
        reduce=reduce,
        empty_columns=[n for n, ok in zip(names, present) if not ok],
        region_voxels=counts.tolist(),
        reduce_omit=span_statistic_omitting(spans, n_regions, strategy),
    )


def _region_statistic(strategy: str, counts: np.ndarray):
    """Vectorised ``scipy.ndimage`` statistics over contiguous region segments.

    ``values`` columns are the regions' voxels, grouped by region in C order
    (as ndimage meets them). Sums are float64 and sequential, as ndimage's
    ``bincount``; minimum, maximum and median keep the data's dtype, as
    ndimage's ``_select``. The results are bit-identical to ndimage's.
    """
    from scipy import sparse

    kept = counts[counts > 0]
    starts = np.concatenate([[0], np.cumsum(kept)[:-1]]).astype(np.intp)
    stops = starts + kept
    divisor = kept.astype(np.float64)
    n_voxels = int(kept.sum())
    # CSR rows sum their voxels one after the other from 0, as ndimage's
    # bincount does (np.add.reduceat would sum pairwise and differ in the last bits)
    members = sparse.csr_array(
        (np.ones(n_voxels), np.arange(n_voxels), np.r_[0, np.cumsum(kept)]),
        shape=(len(kept), n_voxels),
    )

    def sums(values: np.ndarray) -> np.ndarray:
        return (members @ values.astype(np.float64).T).T

    def variance(values: np.ndarray) -> np.ndarray:
        centred = values.astype(np.float64) - np.repeat(
            sums(values) / divisor, kept, axis=1
        )
        return (members @ (centred * centred).T).T / divisor

    def median(values: np.ndarray) -> np.ndarray:
        return np.stack(
            [
                np.median(values[:, a:b], axis=1)
                for a, b in zip(starts, stops, strict=True)
            ],
            axis=1,
        )

    functions = {
        "sum": sums,
        "minimum": lambda values: np.minimum.reduceat(values, starts, axis=1),
        "maximum": lambda values: np.maximum.reduceat(values, starts, axis=1),
        "variance": variance,
        "standard_deviation": lambda values: np.sqrt(variance(values)),
        "median": median,
    }
    if strategy not in functions:
        raise RoiError(
            f"'strategy' must be one of mean, {', '.join(functions)}. Got {strategy!r}."
        )
    return functions[strategy]


def voxel_reduction(
    data: np.ndarray, region_ids: Sequence[int], names: Sequence[str], grid: Grid
) -> Reduction:
    """Return a reduction giving every voxel of every region as its own column.

    Columns are ``<region>_<i>_<j>_<k>`` (0-based voxel indices on ``grid``),
    regions in order, voxels in C order within a region as ``NiftiMasker``
    orders them.
    """
    voxels, counts = _c_order_voxels(data, region_ids)
    i, j, k = np.unravel_index(voxels, data.shape, order="F")
    region_of = np.repeat(np.asarray(names, dtype=object), counts)
    columns = [f"{r}_{a}_{b}_{c}" for r, a, b, c in zip(region_of, i, j, k)]
    empty = [n for n, c in zip(names, counts) if c == 0]
    return Reduction(
        columns=columns,
        voxels=voxels,
        reduce=lambda values: values.astype(np.float64, copy=False),
        domain=grid,
        elementwise=True,
        empty_columns=empty,  # no voxel, so no column: listed and warned about
        region_voxels=counts.tolist(),
        coverage=[
            {
                "region": n,
                "voxels_in_roi": int(c),
                "voxels_used": int(c),
                "fraction": 1.0 if c else 0.0,
            }
            for n, c in zip(names, counts)
        ],
    )
