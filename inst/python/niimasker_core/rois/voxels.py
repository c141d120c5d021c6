"""Every voxel of a mask (no ``roi_file``): the registry's ``voxels`` kind.

The mask is the one given (``mask_img``) or computed from the batch's first
image with nilearn's ``mask_strategy`` and ``mask_args``, then resampled to
``target_affine``/``target_shape``, exactly as nilearn's ``NiftiMasker.fit``
does: :func:`compute_mask`, :func:`given_mask`, :func:`resample_mask` and
:func:`mask_voxels` are that code, shared with the drop-in
:class:`~niimasker_core.maskers.nifti_masker.NiftiMasker`. Each image's
voxels are one gather (:func:`voxel_gather`), read as ``NiftiMasker`` reads
them: non-finite values as 0, the image resampled to the mask's box when the
grids differ.

Unlike the region kinds, this source's columns are the elements of a space
(the mask's voxels), so it carries that space (:attr:`VoxelSource.space`):
its outputs may be images in it (a 4D NIfTI), they are cleaned as one linear
operator over many columns, and they are redone on each run rather than read
back.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from typing import Any

import nibabel as nib
import numpy as np

from ..domains.volume.boxes import Boxes
from ..domains.volume.grid import Grid
from ..engine import Reduction
from ..io.folder import DATA_DIR
from ..params.options import VoxelOptions
from ..params.vocabulary import MASK_STRATEGIES
from .base import GridCachedSource, RoiRequest

__all__ = [
    "MASK_FILE",
    "VoxelSource",
    "compute_mask",
    "finite_mask_data",
    "given_mask",
    "load",
    "mask_data",
    "mask_voxels",
    "region_boxes",
    "resample_mask",
    "voxel_gather",
    "warn_resampling",
]


#: Where the batch writes the mask, inside the output folder.
MASK_FILE = f"{DATA_DIR}/mask_img.nii.gz"


def load(request: RoiRequest) -> VoxelSource:
    """Fit the mask of a batch without ``roi_file`` (the registry's ``voxels`` kind).

    Parameters
    ----------
    request : RoiRequest
        ``voxels`` (the mask's options) and ``first_image``.

    Returns
    -------
    VoxelSource
        Every voxel of the mask.
    """
    return VoxelSource(request.voxels, request.first_image)


def compute_mask(imgs: Any, mask_strategy: str, mask_args: dict | None, memory=None):
    """Compute a mask from ``imgs`` with nilearn's function for ``mask_strategy``.

    Parameters
    ----------
    imgs : Niimg-like or list of them
        The images the mask is computed from.
    mask_strategy : str
        One of :data:`~niimasker_core.params.vocabulary.MASK_STRATEGIES`.
    mask_args : dict or None
        Extra arguments of the mask function; those it does not take are
        skipped with a warning, as nilearn does.
    memory : joblib.Memory or None
        Cache for the computation.

    Returns
    -------
    nibabel.Nifti1Image
        The binary mask.

    Raises
    ------
    ValueError
        If ``mask_strategy`` is unknown.
    """
    from nilearn.maskers.nifti_masker import make_brain_mask_func  # nilearn: when used
    from nilearn.masking import compute_background_mask, compute_epi_mask

    functions = {
        "background": compute_background_mask,
        "epi": compute_epi_mask,
        "whole-brain-template": make_brain_mask_func("whole-brain"),
        "gm-template": make_brain_mask_func("gm"),
        "wm-template": make_brain_mask_func("wm"),
    }
    if mask_strategy not in functions:
        raise ValueError(
            f"Unknown value of mask_strategy '{mask_strategy}'. Acceptable values are "
            + ", ".join(f"'{s}'" for s in MASK_STRATEGIES)
            + "."
        )
    function = functions[mask_strategy]
    accepted = inspect.signature(function).parameters
    args = {k: v for k, v in (mask_args or {}).items() if k in accepted}
    skipped = [k for k in (mask_args or {}) if k not in accepted]
    if skipped:
        warnings.warn(
            f"The following arguments are not supported by the masking strategy "
            f"'{mask_strategy}': {skipped}",
            UserWarning,
            stacklevel=3,
        )
    if memory is not None and getattr(memory, "location", None) is not None:
        function = memory.cache(function, ignore=["verbose"])
    return function(imgs, verbose=0, **args)


def finite_mask_data(data: np.ndarray) -> np.ndarray:
    """Return mask data with NaN and infinities set to 0, warning as nilearn does.

    nilearn's maskers load ``mask_img`` with ``ensure_finite``: a
    ``UserWarning`` "Non-finite values detected." and the values become 0.
    """
    if data.dtype.kind != "f":
        return data
    finite = np.isfinite(data)
    if finite.all():
        return data
    warnings.warn(
        "Non-finite values detected. These values will be replaced with zeros.",
        UserWarning,
        stacklevel=4,
    )
    return np.where(finite, data, 0)


def given_mask(mask_img: Any) -> nib.Nifti1Image:
    """Return a given mask as nilearn's ``NiftiMasker`` takes it: non-zero voxels, checked.

    A 4D mask keeps the voxels non-zero in every volume; NaN counts as 0.

    Raises
    ------
    ValueError
        From nilearn, when the mask is not a valid mask image.
    """
    from nilearn.image import check_niimg, new_img_like  # nilearn: when used
    from nilearn.masking import load_mask_img

    given = check_niimg(mask_img, atleast_4d=True)
    data = finite_mask_data(np.asanyarray(given.dataobj))
    mask = new_img_like(given, data.astype(bool).all(axis=3))
    load_mask_img(mask)
    return mask


def resample_mask(
    mask: nib.Nifti1Image, target_affine: Any, target_shape: Any, cache=None
) -> nib.Nifti1Image:
    """Resample a mask to ``target_affine``/``target_shape`` (nearest), as nilearn.

    ``cache`` wraps nilearn's ``resample_img`` (a ``joblib.Memory`` cache);
    None calls it directly.
    """
    from nilearn.image import resample_img  # nilearn: when used

    resample = resample_img if cache is None else cache(resample_img)
    return resample(
        mask,
        target_affine=target_affine,
        target_shape=target_shape,
        copy=False,
        interpolation="nearest",
    )


def mask_data(mask: nib.Nifti1Image, allow_empty: bool = False) -> np.ndarray:
    """Return a fitted mask's voxels as a boolean array.

    An empty mask is refused unless ``allow_empty`` (nilearn's
    ``MultiNiftiMasker`` keeps an empty computed mask).
    """
    from nilearn.masking import load_mask_img  # nilearn: when used

    data, _ = load_mask_img(mask, allow_empty=allow_empty)
    return np.asarray(data, dtype=bool)


def mask_voxels(
    mask_img: nib.Nifti1Image,
    data: np.ndarray,
    shape: tuple[int, int, int],
    affine: np.ndarray,
) -> tuple[np.ndarray, Grid, bool]:
    """Return the mask's voxels (nilearn's order), their grid, and whether it is the image's.

    Like nilearn, an image on another grid is resampled to the mask cropped
    to its bounding box.

    Parameters
    ----------
    mask_img : nibabel.Nifti1Image
        The fitted mask.
    data : numpy.ndarray
        Its boolean data.
    shape, affine
        The image's grid.

    Returns
    -------
    voxels : numpy.ndarray
        Flat Fortran-order indices on ``grid``, in C order of the mask.
    grid : Grid
        The image's grid, or the mask's bounding box when the grids differ.
    same : bool
        Whether the image is on the mask's grid.
    """
    same = tuple(shape) == tuple(mask_img.shape[:3]) and np.allclose(
        affine, mask_img.affine
    )
    if same:
        grid = Grid(tuple(shape), affine)
    else:
        from nilearn.image import crop_img  # nilearn: when used

        cropped = crop_img(
            nib.Nifti1Image(data.astype(np.int8), mask_img.affine), copy=False
        )
        data = np.asanyarray(cropped.dataobj).astype(bool)
        grid = Grid(tuple(int(n) for n in data.shape[:3]), cropped.affine)
    voxels = np.ravel_multi_index(np.nonzero(data), data.shape, order="F")
    return voxels.astype(np.int64), grid, same


def region_boxes(
    voxels: np.ndarray,
    counts: Sequence[int],
    roi_grid: Grid,
    shape: tuple[int, int, int],
    affine: np.ndarray,
) -> tuple[np.ndarray, Grid | Boxes]:
    """Return regions' voxels as ``NiftiMasker(mask_img=<region>)`` reads each, on its box.

    For an image on another grid than the regions, nilearn's ``NiftiMasker``
    resamples the image to the region cropped to its bounding box, and
    smooths it there (:func:`mask_voxels`); so each region here gets that box.
    :func:`mask_voxels` crops each region given on the box around it with one
    voxel more on each side (as far as the grid goes): the box it keeps is the
    one it would keep from the whole grid, at the cost of the region's size.

    Parameters
    ----------
    voxels : numpy.ndarray
        Flat Fortran-order indices on ``roi_grid``, grouped by region, in C
        order within each (as :func:`~niimasker_core.rois.reducers.voxel_reduction`
        orders them).
    counts : sequence of int
        Voxels of each region, in order (regions without voxels get no box).
    roi_grid : Grid
        The regions' grid.
    shape, affine
        The image's grid.

    Returns
    -------
    voxels : numpy.ndarray
        The same voxels, in the same order, as indices of the returned domain.
    domain : Grid or Boxes
        The one region's box, or every region's box one after the other
        (``roi_grid`` when no region has a voxel).
    """
    found, grids, offset = [], [], 0
    bounds = np.cumsum([0, *counts])
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if stop == start:
            continue
        ijk = np.stack(
            np.unravel_index(voxels[start:stop], roi_grid.shape, order="F"), axis=1
        )
        low = np.maximum(ijk.min(axis=0) - 1, 0)
        high = np.minimum(ijk.max(axis=0) + 2, roi_grid.shape)
        region = np.zeros(tuple(high - low), dtype=bool)
        region[tuple((ijk - low).T)] = True
        box = roi_grid.affine.copy()
        box[:3, 3] += roi_grid.affine[:3, :3] @ low
        indices, grid, _ = mask_voxels(
            nib.Nifti1Image(region.astype(np.int8), box), region, shape, affine
        )
        found.append(indices + offset)
        grids.append(grid)
        offset += grid.n_samples
    if not grids:  # no region has a voxel: nothing is read
        return voxels, roi_grid
    domain = grids[0] if len(grids) == 1 else Boxes.around(grids)
    return np.concatenate(found), domain


def warn_resampling(stacklevel: int) -> None:
    """Warn, as nilearn's ``NiftiMasker`` does, that images are resampled to the mask."""
    warnings.warn(
        "imgs are being resampled to the mask_img resolution. This process "
        "is memory intensive. You might want to provide a target_affine "
        "that is equal to the affine of the imgs or resample the mask "
        "beforehand to save memory and computation time.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def voxel_gather(voxels: np.ndarray, grid: Grid, same: bool) -> Reduction:
    """Return the reduction reading ``voxels`` as nilearn's ``NiftiMasker`` reads them.

    One column per voxel (counted, not named: see :meth:`VoxelSource.columns`);
    non-finite values are read as 0 (the image then in memory); signals keep
    the image's float dtype (others float32); an image on another grid is
    resampled to ``grid`` first.
    """
    return Reduction(
        columns=_Count(len(voxels)),
        voxels=voxels,
        reduce=lambda values: values,
        domain=None if same else grid,
        elementwise=True,
        non_finite="zero",
        keep_float_dtype=True,
    )


class _Count(Sequence):
    """A sequence of ``n`` column placeholders (the engine needs only their count)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        return range(self.n)[index]


def _affine(value: Any) -> np.ndarray | None:
    """Return ``target_affine`` as nilearn takes it (a voxel size: a 3x3 affine)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return np.diag([float(value)] * 3)
    return np.asarray(value, dtype=float)


class VoxelSource(GridCachedSource):
    """Every voxel of one mask, fitted once for the batch.

    Parameters
    ----------
    options : VoxelOptions
        The mask (given or computed) and how it is resampled.
    first_image : str
        The image a mask is computed from when ``mask_img`` is not given.
    """

    kind = "voxels"

    def __init__(self, options: VoxelOptions, first_image: str) -> None:
        if options.mask_img is None:
            mask = compute_mask(first_image, options.mask_strategy, options.mask_args)
            self.mask_source = (
                f"computed with mask_strategy '{options.mask_strategy}' from "
                f"'{first_image}'"
            )
        else:
            mask = given_mask(options.mask_img)
            self.mask_source = f"mask_img '{options.mask_img}'"
        self.mask_img = resample_mask(
            mask, _affine(options.target_affine), options.target_shape
        )
        self.mask_data = mask_data(self.mask_img)
        self.output_format = options.output_format
        self.dtype = options.dtype
        self._columns: list[str] | None = None

    @property
    def space(self) -> nib.Nifti1Image:
        """The mask whose voxels are the columns (outputs can be images in it)."""
        return self.mask_img

    @property
    def files(self) -> dict[str, Any]:
        """The mask, written once per batch (:data:`MASK_FILE`)."""
        return {MASK_FILE: self.mask_img}

    @property
    def n_voxels(self) -> int:
        """Return the number of voxels extracted."""
        return int(self.mask_data.sum())

    @property
    def names(self) -> list[str]:
        """The column names ``voxel_<i>_<j>_<k>`` (0-based, mask order)."""
        if self._columns is None:
            i, j, k = np.nonzero(self.mask_data)
            self._columns = [f"voxel_{a}_{b}_{c}" for a, b, c in zip(i, j, k)]
        return self._columns

    def columns(self, reduction: Reduction) -> list[str]:
        """Return the names ``voxel_<i>_<j>_<k>``, made when first asked.

        Hundreds of thousands of names take memory: they are made after the
        signals are extracted and cleaned, not while.
        """
        return self.names

    def describe_columns(self, reduction: Reduction) -> dict[str, Any]:
        """Return nothing: voxel columns are described by the mask."""
        return {}

    def describe_output(self) -> dict[str, Any]:
        """Return the mask's voxels, where it came from, its file and the format."""
        return {
            "NumberOfVoxels": self.n_voxels,
            "MaskSource": self.mask_source,
            "MaskFile": MASK_FILE,
            "OutputFormat": self.output_format,
        }

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready description for parameters.json."""
        return {
            "kind": "voxels",
            "mask_source": self.mask_source,
            "mask_file": MASK_FILE,
            "n_voxels": self.n_voxels,
            "output_format": self.output_format,
        }

    def for_grid(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        """Return the voxel gather for images on this grid (warned when resampled)."""
        reduction = super().for_grid(shape, affine)
        if reduction.domain is not None:
            warn_resampling(stacklevel=3)
        return reduction

    def _build(self, shape: tuple[int, int, int], affine: np.ndarray) -> Reduction:
        return voxel_gather(*mask_voxels(self.mask_img, self.mask_data, shape, affine))
