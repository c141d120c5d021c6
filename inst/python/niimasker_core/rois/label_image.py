"""ROIs from a 3D label image: a labelled atlas or a single-region binary mask.

Region statistics follow nilearn's ``NiftiLabelsMasker``: the atlas (and
``mask_img``) are resampled to the image grid with nearest-neighbour
interpolation, and each region's voxels are summarised per volume. With
``as_voxels`` every voxel is returned, as ``NiftiMasker`` does with the region
as its mask: when the grids differ, the image is resampled to (and smoothed
on) each region's bounding box on the ROI grid.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import nibabel as nib
import numpy as np

from ..domains.volume.grid import Grid, extent_mm, grid_key
from ..engine import Reduction
from ..errors import RoiError, UnusedOptionWarning
from .base import GridCachedSource, RoiRequest, coverage_rows
from .label_names import resolve_region_names
from .masking import load_3d_image, mask_on_grid, resample_nearest
from .reducers import mean_reducer, statistic_reducer, voxel_reduction
from .voxels import region_boxes

__all__ = ["LabelImage", "load", "load_label_image"]


def load(request: RoiRequest) -> LabelImage:
    """Load a labelled atlas or a single-region mask (the registry's ``labels`` kind).

    Parameters
    ----------
    request : RoiRequest
        The set's ``roi_file`` (a 3D image) and its ``labels``, ``mask_img``,
        ``strategy`` and ``as_voxels``.

    Returns
    -------
    LabelImage
        The regions.
    """
    options = request.options
    return LabelImage(
        request.roi_file,
        labels=options.labels,
        mask_img=options.mask_img,
        strategy=options.strategy,
        as_voxels=options.as_voxels,
    )


def load_label_image(path: str) -> nib.Nifti1Image:
    """Load a 3D NIfTI whose values are region labels, or raise a clear error.

    Parameters
    ----------
    path : str
        A 3D ``.nii``/``.nii.gz`` file.

    Returns
    -------
    nibabel.Nifti1Image
        The image, squeezed to 3D.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If it is not a 3D image of whole-number labels.
    """
    img = load_3d_image(path, "roi_file", "a 3D label image here")
    return img


def _integer_labels(img: nib.Nifti1Image, path: str) -> np.ndarray:
    data = np.asanyarray(img.dataobj)
    if data.dtype.kind == "b":
        return data.astype(np.int32)
    if data.dtype.kind in "iu":
        return data.astype(np.int64, copy=False)
    finite = np.isfinite(data)
    if not finite.all():
        raise RoiError(f"'roi_file' '{path}' contains NaN or infinite values.")
    if not np.array_equal(data, np.round(data)):
        bad = np.unique(data[data != np.round(data)])[:5]
        raise RoiError(
            f"'roi_file' '{path}' has non-integer values (e.g. "
            f"{', '.join(f'{v:g}' for v in bad)}), so it is neither a labelled atlas "
            "nor a binary mask. For a probabilistic map give a 4D image; otherwise "
            "round or threshold the image to integer labels."
        )
    return data.astype(np.int64)


class LabelImage(GridCachedSource):
    """A labelled atlas or binary mask, aligned to each image grid on demand.

    Parameters
    ----------
    path : str
        The 3D label image.
    labels : sequence of str, str or None
        Region names (see :func:`resolve_region_names`).
    mask_img : str or None
        Optional mask restricting the regions.
    strategy : str
        Region statistic: a ``scipy.ndimage`` function name, as nilearn uses.
    as_voxels : bool
        Return every voxel instead of a statistic per region.
    """

    def __init__(
        self,
        path: str,
        *,
        labels: Sequence[str] | str | None = None,
        mask_img: str | None = None,
        strategy: str = "mean",
        as_voxels: bool = False,
    ) -> None:
        self.path = path
        self.img = load_label_image(path)
        self.data = _integer_labels(self.img, path)
        present = np.unique(self.data)
        present = present[present != 0]
        if present.size == 0:
            raise RoiError(
                f"'roi_file' '{path}' has no non-zero voxels, so it defines no region."
            )
        self.kind = "mask" if present.size == 1 else "labels"
        self.ids, self.names = resolve_region_names(labels, present.tolist(), path)
        if self.kind == "mask" and labels is None:
            self.names = ["roi"]
        self.mask_img = mask_img
        self.strategy = strategy
        self.as_voxels = as_voxels
        if mask_img is not None and self.kind == "mask":
            warnings.warn(
                UnusedOptionWarning(
                    "{parameter} is ignored because {--roi_file} {file} is a "
                    "single-region mask.",
                    parameter="mask_img",
                    file=str(path),
                ),
                stacklevel=2,
            )
            self.mask_img = None

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": self.kind,
            "roi_file": self.path,
            "regions": [{"index": i, "name": n} for i, n in zip(self.ids, self.names)],
            "strategy": "voxels" if self.as_voxels else self.strategy,
            "mask_img": self.mask_img,
        }

    def extent_mm(self) -> np.ndarray:
        """Return the bounding box in mm of the labelled voxels (min row, max row)."""
        return extent_mm(np.argwhere(self.data != 0), self.img.affine)

    def labels_on_grid(
        self, shape: tuple[int, int, int], affine: np.ndarray
    ) -> np.ndarray:
        """Return the label array on this grid (nearest resampling, ``mask_img`` applied)."""
        data = self._labels_unmasked(shape, affine)
        if self.mask_img is not None:
            mask = mask_on_grid(self.mask_img, shape, affine)
            data = np.where(mask, data, 0)
        return data

    def _labels_unmasked(
        self, shape: tuple[int, int, int], affine: np.ndarray
    ) -> np.ndarray:
        """Return the label array on this grid (nearest resampling, no mask)."""
        same = grid_key(shape, affine) == grid_key(self.img.shape, self.img.affine)
        return self.data if same else resample_nearest(self.img, shape, affine)

    def region_image(
        self, reduction: Reduction, shape: tuple[int, int, int], affine: np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Return the regions numbered on this grid, as extraction used them."""
        flat = np.zeros(int(np.prod(shape)), dtype=np.int32)
        voxels = np.asarray(reduction.voxels, dtype=np.int64)
        labels = self.labels_on_grid(shape, affine).ravel(order="F")[voxels]
        ids = np.asarray(self.ids, dtype=np.int64)
        order = np.argsort(ids)
        where = np.clip(np.searchsorted(ids[order], labels), 0, max(len(ids) - 1, 0))
        known = ids[order][where] == labels
        flat[voxels[known]] = order[where[known]] + 1
        return flat.reshape(shape, order="F"), ""

    def _voxels(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        """Return every voxel of every region, each as ``NiftiMasker(mask_img=<region>)``.

        Columns are the ROI grid's voxels. An image on another grid is
        resampled to, and smoothed on, each region's bounding box, as
        nilearn's ``NiftiMasker`` does (:func:`~.voxels.region_boxes`).
        """
        roi_grid = Grid(self.img.shape, self.img.affine)
        data = self.labels_on_grid(roi_grid.shape, roi_grid.affine)
        reduction = voxel_reduction(data, self.ids, self.names, roi_grid)
        if roi_grid.key == grid_key(shape, affine):
            return reduction
        voxels, domain = region_boxes(
            reduction.voxels, reduction.region_voxels, roi_grid, shape, affine
        )
        return replace(reduction, voxels=voxels, domain=domain)

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        if self.as_voxels:
            return self._voxels(shape, affine)
        data = self.labels_on_grid(shape, affine)
        counts_in_roi = {
            i: int(n) for i, n in zip(*np.unique(self.data, return_counts=True))
        }
        if self.strategy == "mean":
            reduction = mean_reducer(data, self.ids, self.names)
        else:
            reduction = statistic_reducer(data, self.ids, self.names, self.strategy)
        on_grid = self._labels_unmasked(shape, affine)
        counts_on_grid = {
            i: int(n) for i, n in zip(*np.unique(on_grid, return_counts=True))
        }
        reduction.coverage = coverage_rows(
            self.names,
            [counts_in_roi.get(i, 0) for i in self.ids],
            reduction.region_voxels,
            [counts_on_grid.get(i, 0) for i in self.ids],
        )
        return reduction
