"""Reading a volume in memory as nilearn's ``NiftiMasker`` does, non-finite values as 0.

The engine streams files; this is the other road, for images that are only
in memory and for files whose voxels hold NaN or infinite values, which
nilearn's maskers read as 0 (``safe_get_data(ensure_finite=True)``): the
whole image is resampled, smoothed and masked with nilearn's own functions.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np

from ..base import float_signal_dtype
from .grid import Grid

__all__ = ["read_voxels_in_memory"]


def read_voxels_in_memory(
    img: nib.Nifti1Image,
    voxels: np.ndarray,
    grid: Grid,
    same_grid: bool,
    smoothing_fwhm: float | None,
) -> np.ndarray:
    """Return the ``(n_volumes, n_voxels)`` signals of ``voxels`` of ``grid``, as nilearn.

    Parameters
    ----------
    img : nibabel.Nifti1Image
        A 3D or 4D image.
    voxels : numpy.ndarray
        Flat indices (Fortran order) on ``grid``, in the order of the columns.
    grid : Grid
        The grid the voxels refer to.
    same_grid : bool
        Whether ``grid`` is the image's own (no resampling).
    smoothing_fwhm : float or None
        Smoothing in mm, applied on ``grid``.

    Returns
    -------
    numpy.ndarray
        C-ordered signals, float data keeping their dtype (others float32),
        non-finite values set to 0.
    """
    from nilearn.image import smooth_img  # nilearn: imported when used

    if len(img.shape) == 3:
        img = nib.Nifti1Image(np.asanyarray(img.dataobj)[..., None], img.affine)
    if not same_grid:
        img = grid.resample_image(img)
    if smoothing_fwhm is not None:
        img = smooth_img(img, smoothing_fwhm)
    data = np.asanyarray(img.dataobj)
    dtype = float_signal_dtype(data.dtype)
    n_volumes = data.shape[3]
    flat = data.reshape(-1, n_volumes, order="F")
    signals = np.ascontiguousarray(flat[voxels].T, dtype=dtype)
    signals[~np.isfinite(signals)] = 0
    return signals
