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
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.filebasedimages import ImageFileError

from ..domains.volume.boxes import Boxes
from ..domains.volume.grid import Grid
from ..domains.volume.nifti import read_whole
from ..engine import Reduction
from ..errors import NiimaskerError, RoiError, SettingsError
from ..io.folder import DATA_DIR
from ..params.options import VoxelOptions
from ..params.vocabulary import MASK_STRATEGIES
from .base import GridCachedSource, RoiRequest

__all__ = [
    "MAX_TARGET_VOXELS",
    "MASK_FILE",
    "ColumnCount",
    "VoxelSource",
    "compute_mask",
    "finite_mask_data",
    "given_mask",
    "load",
    "mask_data",
    "check_field_of_view",
    "mask_voxels",
    "outside_image",
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

    name = f"'mask_img' '{mask_img}'" if isinstance(mask_img, str) else "'mask_img'"
    loaded = _loaded(mask_img)
    if loaded is not None:  # read here: a truncated file is named, not a traceback
        mask_img = nib.Nifti1Image(
            read_whole(loaded, name), loaded.affine, loaded.header
        )
    given = check_niimg(mask_img, atleast_4d=True)
    data = finite_mask_data(np.asanyarray(given.dataobj))
    mask = new_img_like(given, data.astype(bool).all(axis=3))
    load_mask_img(mask)
    return mask


def _loaded(mask_img: Any) -> nib.Nifti1Image | None:
    """Return the NIfTI file ``mask_img`` names, loaded (None: nilearn reads it)."""
    if not isinstance(mask_img, str) or not Path(mask_img).is_file():
        return None
    try:
        loaded = nib.load(mask_img)
    except Exception:  # nilearn's check_niimg says what is wrong with it
        return None
    return loaded if isinstance(loaded, nib.Nifti1Image) else None


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


def check_field_of_view(
    grid: Grid, shape: tuple[int, int, int], affine: np.ndarray
) -> None:
    """Raise nilearn's ``BoundingBoxError`` where its resampling of an image to ``grid`` does.

    nilearn refuses when every voxel of the image falls at negative indices
    of the grid along one axis (``resample_img``'s own test).

    Raises
    ------
    nilearn.image.resampling.BoundingBoxError
        If the grid's field of view holds none of the image, as nilearn sees it.
    """
    from nilearn.image.resampling import BoundingBoxError, get_bounds  # nilearn

    bounds = get_bounds(tuple(shape), np.linalg.inv(grid.affine) @ affine)
    if any(high < 0 for _, high in bounds):
        raise BoundingBoxError(
            "The field of view given by the target affine does not contain any of "
            "the data"
        )


def outside_image(grid: Grid, shape: tuple[int, int, int], affine: np.ndarray) -> bool:
    """Return whether no voxel centre of ``grid`` falls inside the image's field of view."""
    corners = np.array(np.meshgrid(*[[0, n - 1] for n in grid.shape])).reshape(3, -1)
    world = grid.affine[:3, :3] @ corners + grid.affine[:3, 3:]
    ijk = np.linalg.solve(affine[:3, :3], world - affine[:3, 3:])
    low, high = ijk.min(axis=1), ijk.max(axis=1)
    return bool(np.any(high < -0.5) or np.any(low > np.array(shape) - 0.5))


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


def voxel_gather(
    voxels: np.ndarray, grid: Grid, same: bool, non_finite: str | None = "zero"
) -> Reduction:
    """Return the reduction reading ``voxels`` as nilearn's ``NiftiMasker`` reads them.

    One column per voxel (counted, not named: see :meth:`VoxelSource.columns`);
    non-finite values are read as 0 (the image then in memory); signals keep
    the image's float dtype (others float32); an image on another grid is
    resampled to ``grid`` first. ``non_finite=None`` leaves non-finite values
    to the extraction's ``nan_policy`` (the batch's, unless it is ``'zero'``).
    """
    return Reduction(
        columns=ColumnCount(len(voxels)),
        voxels=voxels,
        reduce=lambda values: values,
        domain=None if same else grid,
        elementwise=True,
        non_finite=non_finite,
        keep_float_dtype=True,
    )


class ColumnCount(Sequence):
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


#: The most voxels a resampled mask's grid may have (a 0.25 mm grid of a whole
#: head); beyond, a tiny ``target_affine`` would fill the memory.
MAX_TARGET_VOXELS = 2**31


def _check_target_size(mask: nib.Nifti1Image, options: VoxelOptions) -> None:
    """Refuse a ``target_affine``/``target_shape`` whose grid cannot fit in memory."""
    if options.target_affine is None:
        return
    if options.target_shape is not None:
        count = float(np.prod(options.target_shape, dtype=float))
    else:
        target = _affine(options.target_affine)[:3, :3]
        extent = np.abs(mask.affine[:3, :3]) @ np.array(mask.shape[:3], float)
        size = np.abs(np.linalg.inv(target)) @ extent
        count = float(np.prod(np.maximum(size, 1.0)))
    if count > MAX_TARGET_VOXELS:
        raise SettingsError(
            "{parameter} makes a grid of about {count:.3g} voxels, too many to "
            "hold in memory. Got {parameter:bare}={value}.",
            parameter="target_affine",
            value=options.target_affine,
            count=count,
            fix="Give a voxel size near the images' own (in mm), or no "
            "{--target_affine}.",
        )


def _mask_error(options: VoxelOptions, first_image: str, exc: Exception) -> RoiError:
    """Return the error for a mask that cannot be made or read: its file or arguments."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if options.mask_img is not None:
        return RoiError(
            "{--mask_img} {file} cannot be used as a mask: {reason:text}.",
            file=str(options.mask_img),
            reason=reason.rstrip("."),
            fix="Give a 3D NIfTI with some non-zero voxels in the images' space.",
        )
    return RoiError(
        "The mask computed from {file} with {--mask_strategy} {strategy} and "
        "{--mask_args} {args} cannot be used: {reason:text}.",
        file=first_image,
        strategy=options.mask_strategy,
        args=options.mask_args or {},
        reason=reason.rstrip("."),
        fix="Check {--mask_args} (e.g. opening >= 0, lower_cutoff < upper_cutoff), "
        "or give {--mask_img}.",
    )


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
        if options.output_format == "cifti":
            raise SettingsError(
                "'output_format' is 'cifti', which writes surface runs and surface "
                "atlases (.dtseries.nii, .ptseries.nii); the voxels of a volume "
                "mask are written as 'nifti', 'npy' or 'tsv'."
            )
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            try:
                mask = self._fit_mask(options, first_image)
                _check_target_size(mask, options)
                self.mask_img = resample_mask(
                    mask, _affine(options.target_affine), options.target_shape
                )
                self.mask_data = mask_data(self.mask_img)
            except NiimaskerError:  # already says which file and what to do
                raise
            except (ValueError, TypeError, OSError, ImageFileError) as exc:
                # nilearn's and nibabel's: the error says it all, without their warnings
                raise _mask_error(options, first_image, exc) from None
        for warning in said:  # a mask was made: what nilearn said about it stands
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        self.output_format = options.output_format
        self.dtype = options.dtype
        self.non_finite = "zero" if options.nan_policy == "zero" else None
        self._columns: list[str] | None = None

    def _fit_mask(self, options: VoxelOptions, first_image: str) -> nib.Nifti1Image:
        if options.mask_img is None:
            self.mask_source = (
                f"computed with mask_strategy '{options.mask_strategy}' from "
                f"'{first_image}'"
            )
            return compute_mask(first_image, options.mask_strategy, options.mask_args)
        self.mask_source = f"mask_img '{options.mask_img}'"
        return given_mask(options.mask_img)

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
    def overlay_names(self) -> list[str]:
        """The one region the report draws: the mask (not a name per voxel)."""
        return [f"mask ({self.n_voxels} voxels)"]

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
        grid = Grid(tuple(self.mask_img.shape[:3]), self.mask_img.affine)
        voxels, box, same = (None, grid, False)
        if not outside_image(grid, shape, affine):
            voxels, box, same = mask_voxels(
                self.mask_img, self.mask_data, shape, affine
            )
        if voxels is None or (not same and outside_image(box, shape, affine)):
            raise RoiError(
                "The mask ({source:text}) lies outside the image's field of view: "
                "none of its voxels is inside the image, so every value would be 0.",
                source=self.mask_source,
                fix="Give a mask in the images' space (check its affine against "
                "theirs).",
            )
        return voxel_gather(voxels, box, same, self.non_finite)
