"""What the ROI overlay shows: an image's mean volume and each region's voxels on its grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nibabel as nib
import numpy as np

from ...domains.volume.grid import grid_key
from ...domains.volume.nifti import ImageInfo, iter_chunks

__all__ = ["mean_volume", "region_volume", "to_ras"]


def mean_volume(
    info: ImageInfo, volumes: Sequence[int], max_volumes: int = 20
) -> tuple[np.ndarray, int]:
    """Average the first ``max_volumes`` of ``volumes`` (kept volumes) of an image.

    Only the volumes up to the last one averaged are decompressed.

    Parameters
    ----------
    info : ImageInfo
        The image.
    volumes : sequence of int
        0-based indices of the kept volumes, ascending.
    max_volumes : int
        How many of them to average.

    Returns
    -------
    mean : numpy.ndarray
        3D float64 array of ``info.shape``.
    n_used : int
        Number of volumes averaged.
    """
    wanted = np.asarray(sorted(set(int(v) for v in volumes))[:max_volumes])
    total = np.zeros(info.n_voxels)
    if wanted.size == 0:
        return total.reshape(info.shape, order="F"), 0
    first, last = int(wanted[0]), int(wanted[-1])
    vol_bytes = info.n_voxels * info.raw_dtype.itemsize
    chunks = iter_chunks(
        info, start=first, chunk_bytes=(last - first + 1) * vol_bytes, read_ahead=False
    )
    for start, block in chunks:
        rows = wanted[(wanted >= start) & (wanted < start + len(block))] - start
        total += block[rows].sum(axis=0, dtype=np.float64)
        if start + len(block) > last:
            break
    chunks.close()
    return (total / wanted.size).reshape(info.shape, order="F"), int(wanted.size)


def region_volume(
    roi: Any, reduction: Any, shape: tuple[int, int, int], affine: np.ndarray
) -> tuple[np.ndarray, list[str], str]:
    """Return each region's voxels on an image grid, numbered, as extraction used them.

    Parameters
    ----------
    roi : RoiSource
        The ROI source of the batch.
    reduction : Reduction
        ``roi.for_grid(shape, affine)``.
    shape, affine
        The image grid.

    Returns
    -------
    regions : numpy.ndarray
        3D int32 array of ``shape``: 0 outside, ``k`` in region ``names[k - 1]``.
    names : list of str
        The regions, in order.
    note : str
        How the voxels were assigned (empty when exact).
    """
    names = list(getattr(roi, "names", reduction.columns))
    on_image_grid = reduction.domain is None or reduction.domain.key == grid_key(
        shape, affine
    )
    if not on_image_grid:
        note = "The ROI grid differs from the image grid; regions are not drawn."
        return np.zeros(shape, dtype=np.int32), names, note
    regions, note = roi.region_image(reduction, shape, affine)
    return regions, names, note


def to_ras(data: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Reorder the axes of a 3D array so that they run left-to-right, back-to-front, up."""
    orientation = nib.orientations.io_orientation(affine)
    return nib.orientations.apply_orientation(data, orientation)
