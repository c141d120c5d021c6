"""The voxel grid of a volume: its shape and affine, a key to compare grids, extents in mm."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "describe_box", "extent_mm", "grid_corners", "grid_key"]


@dataclass(frozen=True)
class Grid:
    """A voxel grid: spatial shape and affine."""

    shape: tuple[int, int, int]
    affine: np.ndarray


def grid_key(shape: tuple[int, ...], affine: np.ndarray) -> tuple:
    """Return a hashable key identifying a grid (shape and rounded affine)."""
    return (tuple(int(n) for n in shape[:3]), tuple(np.round(affine, 6).ravel()))


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


def grid_corners(shape: tuple[int, ...]) -> np.ndarray:
    """Return the ``(8, 3)`` voxel indices of the corners of a grid of ``shape``."""
    return np.array(
        [
            [i, j, k]
            for i in (0, shape[0] - 1)
            for j in (0, shape[1] - 1)
            for k in (0, shape[2] - 1)
        ]
    )


def describe_box(box: np.ndarray | None) -> str:
    """Return a bounding box in mm as words (``x -10.0 to 12.0 mm, ...``)."""
    if box is None:
        return "an unknown extent"
    return ", ".join(
        f"{axis} {lo:.1f} to {hi:.1f} mm" for axis, lo, hi in zip("xyz", box[0], box[1])
    )
