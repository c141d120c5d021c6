"""The voxel grid of a volume, the volume domain: compare, resample, smooth, locate.

:class:`Grid` implements :class:`~niimasker_core.domains.base.Domain` for NIfTI
volumes: its samples are voxels in NIfTI (Fortran) order, resampling between
grids is nilearn's continuous interpolation (separable where the axes agree),
smoothing is nilearn's ``smooth_img``, and extents are bounding boxes in mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nibabel as nib
import numpy as np

from ...errors import SettingsError
from .resampling import SeparableResampler, axis_aligned_transform
from .voxel_resampling import VoxelResampler

__all__ = [
    "Grid",
    "block_as_4d",
    "describe_box",
    "extent_mm",
    "grid_corners",
    "grid_key",
    "to_ras",
]


@dataclass(frozen=True, eq=False)
class Grid:
    """A voxel grid, the volume domain: spatial shape and affine.

    Samples are the grid's voxels in NIfTI (Fortran) order. Grids are
    compared by :attr:`key` (shape and affine rounded to 1e-6).
    """

    shape: tuple[int, int, int]
    affine: np.ndarray

    #: Regions are drawn on the mean image, a mosaic of slices.
    draws_regions = True

    @property
    def key(self) -> tuple:
        """A hashable key: the shape and the rounded affine."""
        return grid_key(self.shape, self.affine)

    @property
    def n_samples(self) -> int:
        """Voxels in one volume."""
        return int(np.prod(self.shape))

    def describe(self) -> str:
        """Return the grid's bounding box in mm, in words."""
        return describe_box(extent_mm(grid_corners(self.shape), self.affine))

    def draw_overlay(
        self, background: np.ndarray, labels: np.ndarray, figures: Any
    ) -> tuple[bytes, str]:
        """Draw axial slices of ``background`` with each labelled region tinted.

        Both are one value per voxel (Fortran order); they are turned to
        RAS+ orientation and drawn with ``figures.mosaic``.
        """
        png, slices = figures.mosaic(
            to_ras(background.reshape(self.shape, order="F"), self.affine),
            to_ras(labels.reshape(self.shape, order="F"), self.affine),
        )
        where = (
            f"axial slices {', '.join(map(str, slices))} (anterior up, subject left "
            "on the left)"
        )
        return png, where

    def resample_image(
        self, img: nib.Nifti1Image, clip: bool = True
    ) -> nib.Nifti1Image:
        """Resample a whole image onto this grid as nilearn's maskers do (continuous)."""
        from nilearn.image import resample_img  # nilearn: imported when used

        return resample_img(
            img,
            target_affine=self.affine,
            target_shape=self.shape,
            interpolation="continuous",
            force_resample=True,
            copy_header=True,
            clip=clip,
        )

    def check_kernel(self, fwhm: float, name: str) -> None:
        """Refuse a smoothing kernel wider than the field of view: it is a typo, and costly.

        scipy's Gaussian filter reads 4 sigma on each side of every voxel, so
        its memory and time grow with the kernel's width (1e9 mm needs tens
        of GB).

        Raises
        ------
        SettingsError
            Naming the kernel, the image ``name`` and its field of view.
        """
        voxel_mm = np.sqrt((np.asarray(self.affine)[:3, :3] ** 2).sum(axis=0))
        fov_mm = float(np.max(voxel_mm * np.asarray(self.shape)))
        if fwhm > fov_mm:
            raise SettingsError(
                f"'smoothing_fwhm' is {fwhm:g} mm, wider than the field of view of "
                f"'{name}' ({fov_mm:g} mm at most), which would blur every voxel into "
                "one value at a cost that grows with the kernel width. Give the "
                "kernel FWHM in mm, usually 4-8 (e.g. --smoothing_fwhm 6)."
            )

    def smooth(self, block: np.ndarray, fwhm: float) -> np.ndarray:
        """Smooth each volume of ``block`` as ``nilearn.image.smooth_img`` does."""
        from nilearn.image.image import smooth_array  # nilearn: imported when used

        if block.dtype.kind in "iu":  # smooth_array's own conversion of integer data
            block = block.astype(
                np.float64 if block.dtype.itemsize == 8 else np.float32
            )
        else:
            block = block.copy()
        smooth_array(
            block_as_4d(block, self.shape),
            self.affine,
            fwhm=fwhm,
            ensure_finite=True,
            copy=False,
        )
        return block

    def _separable_transform(
        self, source: Grid, block: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Return the per-axis transform from ``source`` when the fast paths apply.

        They apply between grids with the same axes, to finite float chunks;
        None otherwise (nilearn's ``resample_img`` runs instead).
        """
        transform = axis_aligned_transform(source.affine, self.affine)
        if (
            transform is not None
            and block.dtype in (np.float32, np.float64)
            and np.isfinite(block).all()
        ):
            return transform
        return None

    def resample_from(
        self,
        source: Grid,
        block: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Resample a chunk on ``source`` to this grid (continuous), clipped to ``bounds``.

        Between grids with the same axes, three matrix products (cached in
        ``cache`` per pair of grids) replace nilearn's 3D spline per volume;
        otherwise nilearn's ``resample_img`` itself runs on the chunk.
        """
        transform = self._separable_transform(source, block)
        if transform is not None:
            cache = {} if cache is None else cache
            if self.key not in cache:
                cache[self.key] = SeparableResampler(
                    source.shape, self.shape, *transform
                )
            return cache[self.key](block, clip=bounds)
        img = nib.Nifti1Image(
            np.ascontiguousarray(block_as_4d(block, source.shape)), source.affine
        )
        # the image's range, not this chunk's, clips: the engine does it
        data = np.asanyarray(self.resample_image(img, clip=False).dataobj)
        if bounds is not None:
            # unsigned data stays unsigned in nilearn's resampling: the image's
            # own (integral) range is cast to it, so the clip runs in place
            low, high = np.asarray(bounds).astype(data.dtype)
            np.clip(data, low, high, out=data)
        n = block.shape[0]
        return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(n, -1)

    def resample_at(
        self,
        source: Grid,
        block: np.ndarray,
        voxels: np.ndarray,
        bounds: tuple[float, float] | None = None,
        cache: dict | None = None,
    ) -> np.ndarray:
        """Return ``resample_from(source, block, bounds)[:, voxels]`` without the rest.

        Between grids with the same axes only the voxels read are resampled
        (:class:`~.voxel_resampling.VoxelResampler`, cached in ``cache`` per
        pair of grids and set of voxels); otherwise the whole grid is, as
        :meth:`resample_from` does. The values are laid out as the engine's
        gathers lay them out (volumes vary fastest).
        """
        transform = self._separable_transform(source, block)
        if transform is not None:
            cache = {} if cache is None else cache
            key = (self.key, source.key, id(voxels), len(voxels))
            if key not in cache:
                cache[key] = VoxelResampler(
                    source.shape, self.shape, *transform, voxels
                )
            return cache[key](block, clip=bounds)
        whole = self.resample_from(source, block, bounds, cache)
        return np.ascontiguousarray(whole.T[voxels]).T


def to_ras(data: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Reorder the axes of a 3D array so that they run left-to-right, back-to-front, up."""
    orientation = nib.orientations.io_orientation(affine)
    return nib.orientations.apply_orientation(data, orientation)


def block_as_4d(block: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Return an ``(x, y, z, t)`` view of volumes stored as rows in Fortran voxel order."""
    return block.reshape(block.shape[0], shape[2], shape[1], shape[0]).transpose(
        3, 2, 1, 0
    )


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
