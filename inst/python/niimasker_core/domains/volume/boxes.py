"""Boxes of one voxel grid read as one domain: each region smoothed on its own box.

nilearn's ``NiftiMasker`` reads an image on another grid than its mask by
resampling it to the mask cropped to its bounding box, then smoothing it
there (:func:`~niimasker_core.rois.voxels.mask_voxels`). Every voxel of every
region of an atlas, each region read as ``NiftiMasker(mask_img=<region>)``
reads it, therefore needs one box per region: :class:`Boxes` holds them, its
samples being each box's voxels (Fortran order) one box after the other, so
that the engine streams, resamples, smooths and gathers them as one domain.

The boxes are cut from one grid (the atlas's): resampling evaluates the image
at each voxel's centre whatever box the voxel is in, so each chunk is
resampled once, to the frame around all the boxes, and each box is cut from
it; only smoothing, which reaches across a box's edges, is done box by box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .grid import Grid, block_as_4d

__all__ = ["Boxes"]


def _start(frame: Grid, box: Grid) -> np.ndarray:
    """Return the voxel of ``frame`` where ``box`` starts (both on the same axes)."""
    if not np.allclose(frame.affine[:3, :3], box.affine[:3, :3]):
        raise ValueError("Boxes must share their grid's voxel axes.")
    start = np.linalg.solve(frame.affine, box.affine[:, 3])[:3]
    return np.rint(start).astype(int)


@dataclass(frozen=True, eq=False)
class Boxes:
    """Boxes of one grid read one after the other: one domain whose samples are theirs.

    Attributes
    ----------
    frame : Grid
        The grid around every box, on their voxel axes.
    grids : tuple of Grid
        The boxes, in the order of their samples.
    """

    frame: Grid
    grids: tuple[Grid, ...]

    #: Boxes may overlap: the report draws on the image's grid instead.
    draws_regions = False

    @classmethod
    def around(cls, grids: Sequence[Grid]) -> Boxes:
        """Return the boxes framed by the smallest grid holding them all.

        Parameters
        ----------
        grids : sequence of Grid
            Boxes of one grid (same voxel axes, whole-voxel offsets).

        Returns
        -------
        Boxes
            The boxes and their frame.
        """
        first = grids[0]
        starts = np.array([_start(first, grid) for grid in grids])
        low = starts.min(axis=0)
        high = (starts + np.array([grid.shape for grid in grids])).max(axis=0)
        affine = first.affine.copy()
        affine[:3, 3] += first.affine[:3, :3] @ low
        return cls(Grid(tuple(int(n) for n in high - low), affine), tuple(grids))

    @property
    def key(self) -> tuple:
        """A hashable key: the frame's and the boxes' keys, in order."""
        return ("boxes", self.frame.key, *(grid.key for grid in self.grids))

    @property
    def n_samples(self) -> int:
        """Voxels of all the boxes in one volume."""
        return sum(grid.n_samples for grid in self.grids)

    def _spans(self) -> list[slice]:
        """Return each box's samples among the domain's."""
        bounds = np.cumsum([0, *(grid.n_samples for grid in self.grids)])
        return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def describe(self) -> str:
        """Return how many boxes there are and the frame around them, in words."""
        return f"{len(self.grids)} boxes within {self.frame.describe()}"

    def check_kernel(self, fwhm: float, name: str) -> None:
        """Refuse a kernel wider than the field of view (see :meth:`Grid.check_kernel`)."""
        for grid in self.grids:
            grid.check_kernel(fwhm, name)

    def smooth(self, block: np.ndarray, fwhm: float) -> np.ndarray:
        """Smooth each box of each volume on its own, as ``smooth_img`` on the box."""
        return np.concatenate(
            [
                grid.smooth(block[:, span], fwhm)
                for grid, span in zip(self.grids, self._spans(), strict=True)
            ],
            axis=1,
        )

    def resample_from(
        self,
        source: Grid,
        block: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Resample a chunk on ``source`` to the frame once, and cut each box from it.

        A box that is ``source`` itself is its chunk as it is: nilearn does
        not resample an image to its own grid (see :meth:`Grid.resample_from`).
        """
        framed = (
            block
            if self.frame.key == source.key
            else self.frame.resample_from(source, block, bounds, cache)
        )
        volumes = block_as_4d(framed, self.frame.shape)
        parts = []
        for grid in self.grids:
            if grid.key == source.key:
                parts.append(block)
                continue
            i, j, k = _start(self.frame, grid)
            x, y, z = grid.shape
            cut = volumes[i : i + x, j : j + y, k : k + z]
            parts.append(cut.transpose(3, 2, 1, 0).reshape(block.shape[0], -1))
        return np.concatenate(parts, axis=1)

    def resample_at(
        self,
        source: Grid,
        block: np.ndarray,
        voxels: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Return ``resample_from(source, block, bounds)[:, voxels]`` without the rest.

        Each sample is a voxel of the frame: only those read are resampled
        (:meth:`Grid.resample_at`). When a box is ``source`` itself (read as
        it is, not resampled), the whole frame is resampled instead.
        """
        if any(grid.key == source.key for grid in (self.frame, *self.grids)):
            whole = self.resample_from(source, block, bounds, cache)
            return np.ascontiguousarray(whole.T[voxels]).T
        cache = {} if cache is None else cache
        key = (self.key, "frame voxels", id(voxels), len(voxels))
        if key not in cache:
            cache[key] = self._frame_voxels(np.asarray(voxels))
        return self.frame.resample_at(source, block, cache[key], bounds, cache)

    def _frame_voxels(self, samples: np.ndarray) -> np.ndarray:
        """Return the frame's flat voxel index (Fortran order) of each sample."""
        fx, fy, _ = self.frame.shape
        out = np.empty(samples.size, dtype=np.int64)
        for grid, span in zip(self.grids, self._spans(), strict=True):
            inside = (samples >= span.start) & (samples < span.stop)
            local = samples[inside] - span.start
            x, y, _ = grid.shape
            i, j, k = _start(self.frame, grid)
            out[inside] = (
                (local % x + i)
                + (local // x % y + j) * fx
                + (local // (x * y) + k) * fx * fy
            )
        return out

    def draw_overlay(
        self, background: np.ndarray, labels: np.ndarray, figures: Any
    ) -> None:
        """Draw nothing: boxes may overlap, and the report draws on the image's grid."""
        return None
