"""What every ROI kind hands to the engine: a :class:`Reduction` per image grid.

An ROI kind (labelled atlas, mask, spheres, maps...) is loaded once into an
object following :class:`RoiSource`. For each image grid it builds a
:class:`Reduction`: which voxels of a volume it reads and how it turns them
into one value per output column. The engine streams the image once and
feeds every chunk of volumes to every reduction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = ["Grid", "GridCachedSource", "Reduction", "RoiSource", "grid_key"]


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
    dtype: Any = np.float64


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
