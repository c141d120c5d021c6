"""Images on another grid: nearest-neighbour resampling and ``mask_img`` as a boolean array.

nilearn's maskers resample an atlas and a mask to the image grid with
nearest-neighbour interpolation; every ROI kind uses these two functions to
do the same.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np

from ..domains.volume.grid import grid_key
from ..domains.volume.nifti import check_geometry, read_whole
from ..errors import ImageNotFoundError, RoiError

__all__ = ["load_3d_image", "mask_on_grid", "resample_nearest"]


def load_3d_image(path: str, parameter: str, what: str) -> nib.Nifti1Image:
    """Load the 3D image a parameter names (a one-volume 4D one is squeezed).

    Parameters
    ----------
    path : str
        A ``.nii``/``.nii.gz`` file.
    parameter : str
        The parameter that names it (``roi_file``, ``mask_img``), for messages.
    what : str
        What it must be, for messages (``a 3D mask``, ``a 3D label image here``).

    Returns
    -------
    nibabel.Nifti1Image
        The 3D image.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    RoiError
        If it cannot be read, has a broken geometry, or is not 3D.
    """
    try:
        img = nib.load(path)
    except FileNotFoundError:
        raise ImageNotFoundError(f"'{parameter}' not found: '{path}'.") from None
    except Exception as exc:
        raise RoiError(
            f"Cannot read '{parameter}' '{path}' as a NIfTI image: {exc}"
        ) from None
    check_geometry(img.shape, img.affine, f"'{parameter}' '{path}'", RoiError)
    if len(img.shape) == 4 and img.shape[3] == 1:
        img = nib.Nifti1Image(
            read_whole(img, f"'{parameter}' '{path}'")[..., 0], img.affine, img.header
        )
    elif len(img.shape) == 3:  # read now: a truncated file is named here
        img = nib.Nifti1Image(
            read_whole(img, f"'{parameter}' '{path}'"), img.affine, img.header
        )
    if len(img.shape) != 3:
        raise RoiError(
            "{parameter} {file} must be " + what + "; it has shape {shape}.",
            parameter=parameter,
            file=str(path),
            shape=tuple(int(n) for n in img.shape),
        )
    return img


def resample_nearest(
    img: nib.Nifti1Image, shape: tuple[int, int, int], affine: np.ndarray
) -> np.ndarray:
    """Return ``img``'s data on a grid, nearest-neighbour, rounded to integers."""
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
    img = load_3d_image(path, "mask_img", "a 3D mask")
    if grid_key(img.shape, img.affine) != grid_key(shape, affine):
        data = resample_nearest(img, shape, affine)
    else:
        data = np.asanyarray(img.dataobj)
    mask = data != 0
    if not mask.any():
        raise RoiError(f"'mask_img' '{path}' has no non-zero voxels on the image grid.")
    return mask
