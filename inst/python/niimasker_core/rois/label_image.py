"""ROIs from a 3D label image: a labelled atlas or a single-region binary mask.

Region statistics follow nilearn's ``NiftiLabelsMasker``: the atlas (and
``mask_img``) are resampled to the image grid with nearest-neighbour
interpolation, and each region's voxels are summarised per volume. With
``as_voxels`` every voxel is returned, as ``NiftiMasker`` does with the region
as its mask: the image is then resampled to the ROI grid when they differ.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import nibabel as nib
import numpy as np

from ..errors import ImageNotFoundError, RoiError
from ..volumes import check_geometry
from .base import (
    Grid,
    GridCachedSource,
    Reduction,
    extent_mm,
    grid_key,
    span_statistic_omitting,
)
from .label_names import resolve_region_names

__all__ = [
    "LabelImage",
    "load_label_image",
    "mask_on_grid",
    "mean_reducer",
    "statistic_reducer",
]


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
    try:
        img = nib.load(path)
    except FileNotFoundError:
        raise ImageNotFoundError(f"'roi_file' not found: '{path}'.") from None
    except Exception as exc:
        raise RoiError(
            f"Cannot read 'roi_file' '{path}' as a NIfTI image: {exc}"
        ) from None
    check_geometry(img.shape, img.affine, f"'roi_file' '{path}'", RoiError)
    if len(img.shape) == 4 and img.shape[3] == 1:
        img = nib.Nifti1Image(
            np.asanyarray(img.dataobj)[..., 0], img.affine, img.header
        )
    if len(img.shape) != 3:
        raise RoiError(
            f"'roi_file' '{path}' must be a 3D label image here; it has shape "
            f"{img.shape}."
        )
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
                f"'mask_img' is ignored because 'roi_file' '{path}' is a single-region "
                "mask.",
                UserWarning,
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
        same = grid_key(shape, affine) == grid_key(self.img.shape, self.img.affine)
        data = self.data if same else _resample_nearest(self.img, shape, affine)
        if self.mask_img is not None:
            mask = mask_on_grid(self.mask_img, shape, affine)
            data = np.where(mask, data, 0)
        return data

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        if self.as_voxels:
            # NiftiMasker keeps the ROI grid and resamples the image onto it.
            data = self.labels_on_grid(self.img.shape, self.img.affine)
            return voxel_reduction(
                data, self.ids, self.names, Grid(self.img.shape, self.img.affine)
            )
        data = self.labels_on_grid(shape, affine)
        counts_in_roi = {
            i: int(n) for i, n in zip(*np.unique(self.data, return_counts=True))
        }
        if self.strategy == "mean":
            reduction = mean_reducer(data, self.ids, self.names)
        else:
            reduction = statistic_reducer(data, self.ids, self.names, self.strategy)
        reduction.coverage = [
            {
                "region": name,
                "voxels_in_roi": counts_in_roi.get(i, 0),
                "voxels_used": used,
                "fraction": used / counts_in_roi[i] if counts_in_roi.get(i) else 0.0,
            }
            for i, name, used in zip(self.ids, self.names, reduction.coverage)
        ]
        return reduction


def _resample_nearest(
    img: nib.Nifti1Image, shape: tuple[int, int, int], affine: np.ndarray
) -> np.ndarray:
    from nilearn.image import resample_img

    resampled = resample_img(
        img,
        target_affine=affine,
        target_shape=shape,
        interpolation="nearest",
        force_resample=True,
        copy_header=True,
    )
    return np.rint(np.asanyarray(resampled.dataobj)).astype(np.int64)


def mask_on_grid(
    path: str, shape: tuple[int, int, int], affine: np.ndarray
) -> np.ndarray:
    """Load ``mask_img`` as a boolean array on a grid (nearest neighbour), as nilearn does.

    Parameters
    ----------
    path : str
        A 3D mask image; non-zero voxels are inside.
    shape : tuple of int
        Target grid shape.
    affine : numpy.ndarray
        Target grid affine.

    Returns
    -------
    numpy.ndarray
        Boolean array of ``shape``.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If the mask is not 3D or has no voxel on the grid.
    """
    try:
        img = nib.load(path)
    except FileNotFoundError:
        raise ImageNotFoundError(f"'mask_img' not found: '{path}'.") from None
    except Exception as exc:
        raise RoiError(
            f"Cannot read 'mask_img' '{path}' as a NIfTI image: {exc}"
        ) from None
    check_geometry(img.shape, img.affine, f"'mask_img' '{path}'", RoiError)
    if len(img.shape) == 4 and img.shape[3] == 1:
        img = nib.Nifti1Image(
            np.asanyarray(img.dataobj)[..., 0], img.affine, img.header
        )
    if len(img.shape) != 3:
        raise RoiError(
            f"'mask_img' '{path}' must be a 3D mask; it has shape {img.shape}."
        )
    if grid_key(img.shape, img.affine) != grid_key(shape, affine):
        data = _resample_nearest(img, shape, affine)
    else:
        data = np.asanyarray(img.dataobj)
    mask = data != 0
    if not mask.any():
        raise RoiError(f"'mask_img' '{path}' has no non-zero voxels on the image grid.")
    return mask


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
        ``coverage`` holds the voxel count of each region (for the caller).
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
        for row, volume in enumerate(values):
            out[row] = members @ volume.astype(np.float64)
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
        coverage=counts.tolist(),
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
        ``coverage`` holds the voxel count of each region (for the caller).
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
        coverage=counts.tolist(),
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
        grid=grid,
        empty_columns=empty,  # no voxel, so no column: listed and warned about
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
