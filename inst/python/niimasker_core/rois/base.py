"""What every ROI kind hands to the engine: a :class:`Reduction` per image grid.

An ROI kind (labelled atlas, mask, spheres, maps...) is loaded once into an
object following :class:`RoiSource`. For each image grid it builds a
:class:`Reduction`: which voxels of a volume it reads and how it turns them
into one value per output column. The engine streams the image once and
feeds every chunk of volumes to every reduction.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..errors import RoiError

__all__ = [
    "Grid",
    "GridCachedSource",
    "Reduction",
    "RoiSource",
    "check_voxels_left",
    "extent_mm",
    "grid_key",
    "span_statistic_omitting",
]


@dataclass(frozen=True)
class Grid:
    """A voxel grid: spatial shape and affine."""

    shape: tuple[int, int, int]
    affine: np.ndarray


def grid_key(shape: tuple[int, ...], affine: np.ndarray) -> tuple:
    """Return a hashable key identifying a grid (shape and rounded affine)."""
    return (tuple(int(n) for n in shape[:3]), tuple(np.round(affine, 6).ravel()))


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


def span_statistic_omitting(
    spans: list[tuple[int, int, int]], n_columns: int, statistic: str
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return a ``reduce_omit`` for regions stored as contiguous voxel spans.

    Parameters
    ----------
    spans : list of (column, start, stop)
        Each region's voxels, ``values[:, start:stop]``.
    n_columns : int
        Number of output columns (columns without a span stay NaN).
    statistic : str
        ``mean``, ``median``, ``sum``, ``minimum``, ``maximum``, ``variance``
        or ``standard_deviation``, taken over the finite values only.

    Returns
    -------
    callable
        ``values -> (statistics, finite counts)``; a region with no finite
        voxel in a volume is NaN there.
    """
    functions = {
        "mean": lambda v: np.nanmean(v, axis=1),
        "median": lambda v: np.nanmedian(v, axis=1),
        "sum": lambda v: np.nansum(v.astype(np.float64), axis=1),
        "minimum": lambda v: np.nanmin(v, axis=1),
        "maximum": lambda v: np.nanmax(v, axis=1),
        "variance": lambda v: np.nanvar(v.astype(np.float64), axis=1),
        "standard_deviation": lambda v: np.nanstd(v.astype(np.float64), axis=1),
    }
    function = functions[statistic]

    def reduce_omit(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.full((values.shape[0], n_columns), np.nan)
        counts = np.zeros((values.shape[0], n_columns), dtype=np.int64)
        for column, start, stop in spans:
            block = values[:, start:stop]
            counts[:, column] = np.isfinite(block).sum(axis=1)
            with warnings.catch_warnings():  # all-NaN rows are NaN, on purpose
                warnings.simplefilter("ignore", RuntimeWarning)
                got = function(block)
            got = np.asarray(got, dtype=np.float64)
            if statistic == "sum":
                got[counts[:, column] == 0] = np.nan
            out[:, column] = got
        return out, counts

    return reduce_omit


class RoiSource(Protocol):
    """An ROI definition loaded once, aligned to each image grid on demand."""

    kind: str

    def for_grid(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        """Return the reduction for images on this grid."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return each region's voxels on the image grid, numbered from 1, and a note."""


class GridCachedSource:
    """Base of the ROI kinds: :meth:`for_grid` builds each grid's reduction once.

    Subclasses implement ``_build(shape, affine)``; images of a batch usually
    share one grid, so the ROI is aligned to it only once.
    """

    def for_grid(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        """Return the reduction for images on this grid (cached per grid)."""
        cache = self.__dict__.setdefault("_grid_cache", {})
        key = grid_key(shape, affine)
        if key not in cache:
            cache[key] = self._build(tuple(int(n) for n in shape[:3]), affine)
        return cache[key]

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return the voxels ``reduction`` reads, all numbered 1, and a note saying so.

        ROI kinds that can tell their regions apart override this.
        """
        flat = np.zeros(int(np.prod(shape)), dtype=np.int32)
        flat[np.asarray(reduction.voxels, dtype=np.int64)] = 1
        note = "Voxels covered by any region are drawn in one colour."
        return flat.reshape(shape, order="F"), note

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        raise NotImplementedError


def extent_mm(ijk: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Return the ``(2, 3)`` bounding box in mm (min row, max row) of voxel indices.

    Parameters
    ----------
    ijk : numpy.ndarray
        ``(n, 3)`` voxel indices (at least one).
    affine : numpy.ndarray
        Their grid's affine.

    Returns
    -------
    numpy.ndarray
        Smallest and largest x, y, z of the voxel centres.
    """
    xyz = np.asarray(ijk, dtype=np.float64) @ affine[:3, :3].T + affine[:3, 3]
    return np.stack([xyz.min(axis=0), xyz.max(axis=0)])


def _grid_corners(shape: tuple[int, ...]) -> np.ndarray:
    return np.array(
        [
            [i, j, k]
            for i in (0, shape[0] - 1)
            for j in (0, shape[1] - 1)
            for k in (0, shape[2] - 1)
        ]
    )


def _describe_box(box: np.ndarray | None) -> str:
    if box is None:
        return "an unknown extent"
    return ", ".join(
        f"{axis} {lo:.1f} to {hi:.1f} mm" for axis, lo, hi in zip("xyz", box[0], box[1])
    )


def check_voxels_left(
    reduction: Reduction,
    roi: Any,
    image: str,
    shape: tuple[int, int, int],
    affine: np.ndarray,
) -> None:
    """Raise when no region keeps a voxel on an image's grid (one region is enough).

    Parameters
    ----------
    reduction : Reduction
        The ROI aligned to the image grid.
    roi : RoiSource
        The ROI; its ``extent_mm()``, when it has one, is named in the message.
    image : str
        The image path.
    shape, affine
        The image grid.

    Raises
    ------
    RoiError
        Naming the ROI, the image and both bounding boxes in mm.
    """
    if len(reduction.voxels) > 0:
        return
    roi_file = roi.describe().get("roi_file")
    roi_box = roi.extent_mm() if hasattr(roi, "extent_mm") else None
    image_box = extent_mm(_grid_corners(shape), affine)
    raise RoiError(
        f"No region of 'roi_file' '{roi_file}' keeps a voxel on the grid of "
        f"'{image}': the regions span {_describe_box(roi_box)} and the image "
        f"{_describe_box(image_box)}. Check that both are in the same space (e.g. "
        "MNI vs native) and that 'mask_img' overlaps the regions."
    )
