"""The extraction engine: one streamed pass over an image feeds every reduction.

For each chunk of volumes the engine optionally resamples (to a reduction's
own grid) and smooths, then gathers each reduction's voxels and reduces them
to columns. Memory is one chunk of the image plus the ``T x R`` outputs,
whatever the number of volumes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InputFileError
from .rois.base import Grid, Reduction, grid_key
from .volumes import ImageInfo, iter_chunks

__all__ = ["Extracted", "extract"]


@dataclass
class Extracted:
    """Raw (uncleaned) signals of one image for each reduction."""

    signals: list[np.ndarray]  # one (n_volumes_kept, n_columns) array per reduction
    first_volume: int  # volumes before it were discarded


def _signal_dtype(info: ImageInfo) -> np.dtype:
    # nilearn returns float32 signals for float32 data and float64 otherwise
    # (nilearn issue 2135); cleaning then runs on that dtype.
    return np.dtype(np.float32) if info.dtype == np.float32 else np.dtype(np.float64)


def extract(
    info: ImageInfo,
    reductions: Sequence[Reduction],
    *,
    discard_scans: int = 0,
    smoothing_fwhm: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> Extracted:
    """Stream ``info``'s volumes once and apply every reduction.

    Parameters
    ----------
    info : ImageInfo
        The image to read.
    reductions : sequence of Reduction
        What to compute; see :class:`~niimasker_core.rois.base.Reduction`.
    discard_scans : int
        Number of leading volumes skipped (never decompressed into results).
    smoothing_fwhm : float or None
        Gaussian smoothing FWHM in mm applied to each volume, as
        ``nilearn.image.smooth_img`` does.
    progress : callable, optional
        Called with the number of volumes done after each chunk.

    Returns
    -------
    Extracted
        One signal array per reduction, float32 for float32 images (as nilearn).

    Raises
    ------
    InputFileError
        If ROI voxels hold NaN or infinite values.
    """
    n_kept = info.n_volumes - discard_scans
    image_key = grid_key(info.shape, info.affine)
    outputs = [np.empty((n_kept, len(r.columns))) for r in reductions]
    by_grid: dict[tuple, list[int]] = {}
    for idx, red in enumerate(reductions):
        key = image_key if red.grid is None else grid_key(red.grid.shape, red.grid.affine)
        by_grid.setdefault(key, []).append(idx)
    smooth = smoothing_fwhm is not None and smoothing_fwhm > 0

    for first, block in iter_chunks(info, start=discard_scans):
        rows = slice(first - discard_scans, first - discard_scans + block.shape[0])
        for key, members in by_grid.items():
            grid = reductions[members[0]].grid
            data = block
            if key != image_key:
                data = _resample_block(data, info, grid)
            if smooth:
                data = _smooth_block(data, grid.shape if key != image_key else info.shape,
                                     grid.affine if key != image_key else info.affine,
                                     smoothing_fwhm)
            for idx in members:
                red = reductions[idx]
                values = data[:, red.voxels]
                if values.dtype.kind == "f" and not np.isfinite(values).all():
                    bad = int(np.argwhere(~np.isfinite(values))[0, 0]) + first
                    raise InputFileError(
                        f"'{info.path}' has NaN or infinite values inside the ROI "
                        f"(first in volume {bad}, 0-based). Replace them (e.g. with 0) "
                        "or mask them out with 'mask_img' before extraction."
                    )
                outputs[idx][rows] = red.reduce(values)
        if progress is not None:
            progress(first + block.shape[0] - discard_scans)

    dtype = _signal_dtype(info)
    return Extracted(
        signals=[out.astype(dtype, copy=False) for out in outputs],
        first_volume=discard_scans,
    )


def _block_as_4d(block: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    # rows are volumes in Fortran voxel order -> an (x, y, z, t) view, no copy
    return block.reshape(block.shape[0], shape[2], shape[1], shape[0]).transpose(3, 2, 1, 0)


def _smooth_block(
    block: np.ndarray, shape: tuple[int, int, int], affine: np.ndarray, fwhm: float
) -> np.ndarray:
    from nilearn.image.image import smooth_array

    if block.dtype.kind in "iub":
        block = block.astype(np.float32)  # as smooth_array does for integer data
    else:
        block = block.copy()
    smooth_array(_block_as_4d(block, shape), affine, fwhm=fwhm, ensure_finite=True, copy=False)
    return block


def _resample_block(block: np.ndarray, info: ImageInfo, grid: Grid) -> np.ndarray:
    import nibabel as nib
    from nilearn.image import resample_img

    img = nib.Nifti1Image(np.ascontiguousarray(_block_as_4d(block, info.shape)), info.affine)
    out = resample_img(
        img,
        target_affine=grid.affine,
        target_shape=grid.shape,
        interpolation="continuous",
        force_resample=True,
        copy_header=True,
    )
    data = np.asanyarray(out.dataobj)
    n = block.shape[0]
    return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(n, -1)
