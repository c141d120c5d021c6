"""The extraction engine: one streamed pass over an image feeds every reduction.

For each chunk of volumes the engine optionally resamples (to a reduction's
own grid) and smooths, then gathers each reduction's voxels and reduces them
to columns. Memory is one chunk of the image (two while the next one is
inflated ahead, see :func:`~niimasker_core.domains.volume.nifti.iter_chunks`) plus the
``T x R`` outputs, whatever the number of volumes.

A reduction receives ``values = data[:, reduction.voxels]``: numpy's fancy
indexing, whose result is Fortran-ordered (volumes vary fastest). Reducers
that reproduce nilearn's float32 ``np.mean`` rely on that layout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..domains.volume.grid import Grid, grid_key
from ..domains.volume.nifti import CHUNK_BYTES, ImageInfo, iter_chunks
from ..errors import InputFileError, SettingsError
from .reduction import Reduction

__all__ = ["Extracted", "extract"]


@dataclass
class Extracted:
    """Raw (uncleaned) signals of one image for each reduction."""

    signals: list[np.ndarray]  # one (n_volumes_kept, n_columns) array per reduction
    first_volume: int  # volumes before it were discarded
    # nan_policy="omit": per reduction, the smallest number of finite voxels of
    # each column over the volumes (None when every voxel was finite)
    finite_voxels: list[np.ndarray | None] = field(default_factory=list)


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
    nan_policy: str = "error",
    progress: Callable[[int], None] | None = None,
    import_meanwhile: Sequence[str] = (),
    chunk_bytes: int = CHUNK_BYTES,
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
        ``nilearn.image.smooth_img`` does. Refused when wider than the field
        of view.
    nan_policy : {"error", "zero", "omit"}
        NaN or infinite ROI voxels: raise; count them as 0 (nilearn's
        ``ensure_finite``); or leave them out of each region's statistic,
        volume by volume (reductions without ``reduce_omit`` refuse it).
    progress : callable, optional
        Called with the number of volumes done after each chunk.
    import_meanwhile : sequence of str
        Modules the caller needs next (e.g. ``"nilearn.signal"``), imported
        in a worker thread while the image streams: inflating releases the
        GIL, so their import time is hidden. The engine imports nothing else
        until they are loaded, so the two threads never import concurrently;
        an import error is left for the caller's own import to raise.
    chunk_bytes : int
        Raw bytes read per chunk (at least one volume).

    Returns
    -------
    Extracted
        One signal array per reduction, float32 for float32 images (as nilearn).

    Raises
    ------
    InputFileError
        If ROI voxels hold NaN or infinite values (``nan_policy="error"``, or
        "omit" where it cannot apply), or the file is truncated or corrupt.
    SettingsError
        If ``smoothing_fwhm`` is wider than the image's field of view.
    """
    n_kept = info.n_volumes - discard_scans
    image_key = grid_key(info.shape, info.affine)
    outputs = [np.empty((n_kept, len(r.columns)), dtype=r.dtype) for r in reductions]
    by_grid: dict[tuple, list[int]] = {}
    for idx, red in enumerate(reductions):
        key = (
            image_key if red.grid is None else grid_key(red.grid.shape, red.grid.affine)
        )
        by_grid.setdefault(key, []).append(idx)
    smooth = smoothing_fwhm is not None and smoothing_fwhm > 0
    if smooth:
        _check_kernel(smoothing_fwhm, info)
    finite_voxels: list[np.ndarray | None] = [None] * len(reductions)
    if smooth or len(by_grid) > 1 or image_key not in by_grid:
        # Import what the loop needs now, before any import_meanwhile thread.
        import nilearn.image  # noqa: F401

    # nilearn resamples the whole image at once and clips the result to the
    # image's value range (resample_img's clip=True): that range is tracked
    # over the stream and applied at the end, or, when smoothing follows the
    # resampling, read in a first pass.
    resampled = [k for k in by_grid if k != image_key]
    # Clipping commutes only with voxel gathers: a region mean or a map fit of
    # resampled values needs the range before the stream.
    first_pass = smooth or not all(
        reductions[idx].elementwise for key in resampled for idx in by_grid[key]
    )
    bounds = (
        _value_range(info, discard_scans, chunk_bytes)
        if resampled and first_pass
        else None
    )
    seen = [np.inf, -np.inf]
    resamplers: dict = {}  # one per grid, kept over the stream
    same_voxels = _same_voxels(reductions, by_grid)
    loader = _import_in_background(import_meanwhile)
    try:
        for first, block in iter_chunks(
            info, start=discard_scans, chunk_bytes=chunk_bytes
        ):
            if resampled and bounds is None:
                seen = [min(seen[0], np.nanmin(block)), max(seen[1], np.nanmax(block))]
            rows = slice(first - discard_scans, first - discard_scans + block.shape[0])
            for key, members in by_grid.items():
                grid = (
                    Grid(info.shape, info.affine)
                    if key == image_key
                    else reductions[members[0]].grid
                )
                data = (
                    block
                    if key == image_key
                    else _resample_block(block, info, grid, bounds, resamplers)
                )
                smoothed = _smooth_block(data, grid, smoothing_fwhm) if smooth else data
                gathered: dict[int, tuple] = {}  # ROI sets on the same voxels share it
                for idx in members:
                    red = reductions[idx]
                    source = same_voxels[idx]
                    if source not in gathered:
                        values = _gather(data, red.voxels)
                        bad = None
                        if nan_policy == "error":
                            _check_finite(values, info.path, first)
                        elif not _all_finite(values):
                            bad = ~np.isfinite(values)
                        if smooth:  # smooth_array has already zeroed non-finite voxels
                            values = _gather(smoothed, red.voxels)
                        gathered[source] = (values, bad)
                    values, bad = gathered[source]
                    if bad is None:
                        outputs[idx][rows] = red.reduce(values)
                    elif nan_policy == "zero":  # nilearn's ensure_finite
                        # smoothed values are already those of the zeroed volume
                        zeroed = values if smooth else np.where(bad, 0, values)
                        outputs[idx][rows] = red.reduce(zeroed)
                    else:
                        got, counts = _reduce_omitting(red, values, bad, info.path)
                        outputs[idx][rows] = got
                        low = counts.min(axis=0)
                        old = finite_voxels[idx]
                        finite_voxels[idx] = (
                            low if old is None else np.minimum(old, low)
                        )
            if progress is not None:
                progress(first + block.shape[0] - discard_scans)
    finally:
        if loader is not None:
            loader.join()
    if resampled and bounds is None:
        low, high = min(float(seen[0]), 0.0), max(float(seen[1]), 0.0)
        for key in resampled:
            for idx in by_grid[key]:  # voxel gathers only: clipping is elementwise
                np.clip(outputs[idx], low, high, out=outputs[idx])

    dtype = _signal_dtype(info)
    for red, out, counts in zip(reductions, outputs, finite_voxels):
        if counts is not None:
            _check_some_finite(red, out, counts, info.path, discard_scans)
    return Extracted(
        signals=[out.astype(dtype, copy=False) for out in outputs],
        first_volume=discard_scans,
        finite_voxels=finite_voxels,
    )


def _same_voxels(
    reductions: Sequence[Reduction], by_grid: dict[tuple, list[int]]
) -> list[int]:
    """Map each reduction to the first one on its grid reading the same voxels.

    Two atlases often cover the same voxels (a parcellation and its coarser
    merge, or one atlas at two granularities): their gathers and finiteness
    checks are then done once per chunk.
    """
    same = list(range(len(reductions)))
    for members in by_grid.values():
        for pos, idx in enumerate(members):
            for earlier in members[:pos]:
                if same[earlier] == earlier and np.array_equal(
                    reductions[idx].voxels, reductions[earlier].voxels
                ):
                    same[idx] = earlier
                    break
    return same


def _check_kernel(fwhm: float, info: ImageInfo) -> None:
    """Refuse a smoothing kernel wider than the field of view: it is a typo, and costly.

    scipy's Gaussian filter reads 4 sigma on each side of every voxel, so its
    memory and time grow with the kernel's width (1e9 mm needs tens of GB).
    """
    voxel_mm = np.sqrt((np.asarray(info.affine)[:3, :3] ** 2).sum(axis=0))
    fov_mm = float(np.max(voxel_mm * np.asarray(info.shape)))
    if fwhm > fov_mm:
        raise SettingsError(
            f"'smoothing_fwhm' is {fwhm:g} mm, wider than the field of view of "
            f"'{info.path}' ({fov_mm:g} mm at most), which would blur every voxel into "
            "one value at a cost that grows with the kernel width. Give the kernel "
            "FWHM in mm, usually 4-8 (e.g. --smoothing_fwhm 6)."
        )


def _all_finite(values: np.ndarray) -> bool:
    if values.dtype.kind != "f" or np.isfinite(values.sum()):
        return True
    return bool(np.isfinite(values).all())


def _reduce_omitting(
    red: Reduction, values: np.ndarray, bad: np.ndarray, path: str
) -> tuple[np.ndarray, np.ndarray]:
    if red.reduce_omit is None:
        raise InputFileError(
            f"'{path}' has NaN or infinite values inside the ROI, and "
            "nan_policy='omit' only applies to region statistics (labels, masks, "
            "spheres), not to maps or voxel extraction. Use nan_policy='zero' "
            "(nilearn's behaviour) or replace the values."
        )
    values = values.astype(np.result_type(values.dtype, np.float32))
    values[bad] = np.nan
    return red.reduce_omit(values)


def _check_some_finite(
    red: Reduction, out: np.ndarray, counts: np.ndarray, path: str, first: int
) -> None:
    """Raise if a region loses every voxel in some volumes but not all of them."""
    lost = np.isnan(out)
    partial = lost.any(axis=0) & ~lost.all(axis=0)
    if partial.any():
        column = int(np.flatnonzero(partial)[0])
        volume = int(np.flatnonzero(lost[:, column])[0]) + first
        raise InputFileError(
            f"Region '{red.columns[column]}' has no finite voxel in volume {volume} "
            f"(0-based) of '{path}', so nan_policy='omit' leaves no value there and "
            "the timeseries would have a gap. Use nan_policy='zero', or mask the "
            "region out."
        )


def _gather(data: np.ndarray, voxels: np.ndarray) -> np.ndarray:
    """Return ``data[:, voxels]``, laid out as numpy's fancy indexing lays it out.

    That layout is Fortran order (volumes vary fastest). Taking each volume's
    voxels in one forward pass and writing them as a column of a C-ordered
    ``(voxels, volumes)`` array gives the same values and layout 2-3x faster
    than fancy indexing for a few volumes per chunk.
    """
    out = np.empty((len(voxels), data.shape[0]), dtype=data.dtype)
    # One reused buffer: take(mode="raise") buffers each volume internally,
    # and a fresh array per volume is a fresh memory map where glibc's trim
    # threshold is low (Dask's workers): both cost ~6x the gather itself.
    # The voxels are valid indices, so "clip" changes nothing.
    volume_voxels = np.empty(len(voxels), dtype=data.dtype)
    for row, volume in enumerate(data):
        np.take(volume, voxels, out=volume_voxels, mode="clip")
        out[:, row] = volume_voxels
    return out.T


def _check_finite(values: np.ndarray, path: str, first: int) -> None:
    """Raise InputFileError if ``values`` (one chunk's ROI voxels) hold NaN or inf."""
    if values.dtype.kind != "f" or np.isfinite(values.sum()):
        return  # one fast pass; a non-finite sum is rare, so look closer only then
    finite = np.isfinite(values).all(axis=1)
    if finite.all():
        return  # the float32 sum overflowed on large finite values
    bad = int(np.flatnonzero(~finite)[0]) + first
    raise InputFileError(
        f"'{path}' has NaN or infinite values inside the ROI (first in volume {bad}, "
        "0-based). Replace them (e.g. with 0) or mask them out with 'mask_img' "
        "before extraction."
    )


def _import_in_background(names: Sequence[str]) -> threading.Thread | None:
    import sys

    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return None

    def load() -> None:
        import importlib

        for name in missing:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the caller's own import reports it
                return

    thread = threading.Thread(target=load, name="niimasker-import", daemon=True)
    thread.start()
    return thread


def _block_as_4d(block: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    # rows are volumes in Fortran voxel order -> an (x, y, z, t) view, no copy
    return block.reshape(block.shape[0], shape[2], shape[1], shape[0]).transpose(
        3, 2, 1, 0
    )


def _smooth_block(block: np.ndarray, grid: Grid, fwhm: float) -> np.ndarray:
    """Smooth each volume of ``block`` as ``nilearn.image.smooth_img`` does."""
    from nilearn.image.image import smooth_array

    if block.dtype.kind in "iu":  # smooth_array's own conversion of integer data
        block = block.astype(np.float64 if block.dtype.itemsize == 8 else np.float32)
    else:
        block = block.copy()
    smooth_array(
        _block_as_4d(block, grid.shape),
        grid.affine,
        fwhm=fwhm,
        ensure_finite=True,
        copy=False,
    )
    return block


def _value_range(info: ImageInfo, start: int, chunk_bytes: int) -> tuple[float, float]:
    """Return nilearn's clipping range of the streamed volumes (one extra pass)."""
    low, high = np.inf, -np.inf
    for _, block in iter_chunks(info, start=start, chunk_bytes=chunk_bytes):
        low, high = min(low, np.nanmin(block)), max(high, np.nanmax(block))
    return min(float(low), 0.0), max(float(high), 0.0)


def _resample_block(
    block: np.ndarray,
    info: ImageInfo,
    grid: Grid,
    bounds: tuple | None = None,
    resamplers: dict | None = None,
) -> np.ndarray:
    """Resample a chunk to ``grid`` (continuous), clipped to ``bounds`` if given."""
    from ..domains.volume.resampling import SeparableResampler, axis_aligned_transform

    transform = axis_aligned_transform(info.affine, grid.affine)
    if (
        transform is not None
        and block.dtype in (np.float32, np.float64)
        and np.isfinite(block).all()
    ):  # same axes: three matrix products instead of nilearn's 3D spline per volume
        resamplers = {} if resamplers is None else resamplers
        key = grid_key(grid.shape, grid.affine)
        if key not in resamplers:
            resamplers[key] = SeparableResampler(info.shape, grid.shape, *transform)
        return resamplers[key](block, clip=bounds)
    import nibabel as nib
    from nilearn.image import resample_img

    img = nib.Nifti1Image(
        np.ascontiguousarray(_block_as_4d(block, info.shape)), info.affine
    )
    out = resample_img(
        img,
        target_affine=grid.affine,
        target_shape=grid.shape,
        interpolation="continuous",
        force_resample=True,
        copy_header=True,
        clip=False,  # the image's range, not this chunk's: see extract()
    )
    data = np.asanyarray(out.dataobj)
    if bounds is not None:
        np.clip(data, bounds[0], bounds[1], out=data)
    n = block.shape[0]
    return np.ascontiguousarray(data.transpose(3, 2, 1, 0)).reshape(n, -1)
