"""The stream: each chunk of volumes resampled, smoothed, gathered and reduced once.

A reduction receives ``values = data[:, reduction.voxels]`` laid out as
numpy's fancy indexing lays it out (Fortran order: volumes vary fastest).
Reducers that reproduce nilearn's float32 ``np.mean`` rely on that layout.
A reduction on another domain than the image's gets the resampled values at
its own voxels only (``Domain.resample_at``), laid out the same way; the
whole domain is resampled only when it is smoothed, since smoothing reads
every voxel's neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..domains.base import SampledImage
from ..errors import InputFileError
from .group_means import GroupMeans
from .plan import StreamPlan
from .reduction import Reduction, signal_dtype

__all__ = ["NonFiniteValues", "Streamed", "stream", "stream_samples"]


class NonFiniteValues(Exception):
    """Raised inside the engine when a reduction reading them as 0 meets NaN or inf.

    Never leaves :func:`niimasker_core.engine.extract`, which then reads the
    image in memory as nilearn's maskers do.
    """


@dataclass
class Streamed:
    """What the stream collected, before clipping and dtype conversion."""

    outputs: list[np.ndarray]  # one (n_volumes_kept, n_columns) array per reduction
    finite_voxels: list[np.ndarray | None]  # nan_policy="omit": fewest finite voxels
    seen: list[float] = field(default_factory=lambda: [np.inf, -np.inf])
    # reductions over groups of samples: their running sums, by reduction index
    means: dict[int, GroupMeans] = field(default_factory=dict)
    # the sum of the first volumes read, in float64, and how many (mean_volumes)
    volume_sum: np.ndarray | None = None
    volumes_summed: int = 0


def stream(
    image: SampledImage,
    reductions: Sequence[Reduction],
    plan: StreamPlan,
    *,
    start: int,
    smoothing_fwhm: float | None,
    nan_policy: str,
    chunk_bytes: int,
    progress: Callable[[int], None] | None = None,
    mean_volumes: int = 0,
) -> Streamed:
    """Read the image from volume ``start`` on, once, feeding every reduction.

    The first ``mean_volumes`` volumes read are also summed, sample by
    sample (``Streamed.volume_sum``).

    Raises
    ------
    InputFileError
        If ROI voxels hold NaN or infinite values (``nan_policy="error"``, or
        "omit" where it cannot apply), or the file is truncated or corrupt.
    NonFiniteValues
        If a reduction reading non-finite values as 0 meets some.
    """
    out = _collecting(image, reductions, start, nan_policy)
    resamplers: dict = {}  # one per domain, kept over the stream
    own = plan.domains[plan.image_key]
    if mean_volumes:
        out.volume_sum = np.zeros(image.domain.n_samples)
    for first, block in image.chunks(start=start, chunk_bytes=chunk_bytes):
        if out.volumes_summed < mean_volumes:
            _add_volumes(out, block[: mean_volumes - out.volumes_summed])
        if plan.clip_after:
            out.seen[:] = [
                min(out.seen[0], np.nanmin(block)),
                max(out.seen[1], np.nanmax(block)),
            ]
        rows = slice(first - start, first - start + block.shape[0])
        for key, members in plan.groups.items():
            domain = plan.domains[key]
            # unsmoothed, a resampled domain is computed only where it is read
            at_voxels = key != plan.image_key and not plan.smooth
            data = (
                block
                if key == plan.image_key
                else None
                if at_voxels
                else domain.resample_from(own, block, plan.bounds, resamplers)
            )
            smoothed = domain.smooth(data, smoothing_fwhm) if plan.smooth else data
            gathered: dict[int, tuple] = {}  # reductions on the same voxels share it
            for idx in members:
                red = reductions[idx]
                source = plan.shared[idx]
                if at_voxels and idx not in out.means and source not in gathered:
                    values = domain.resample_at(
                        own, block, red.voxels, plan.bounds, resamplers
                    )
                    gathered[source] = (
                        values,
                        _check_values(values, red, nan_policy, image.path, first),
                    )
                if idx in out.means:  # a mean over groups: NaN handled there
                    if at_voxels:
                        values = domain.resample_at(
                            own, block, red.voxels, plan.bounds, resamplers
                        )
                    else:  # one take is fastest for a whole run's chunk
                        values = np.take(smoothed, red.voxels, axis=1)
                    # summed in float64
                    out.means[idx].add(values.astype(np.float64), rows, None)
                    continue
                if source not in gathered:
                    gathered[source] = _gather_checked(
                        data, smoothed, red, nan_policy, image.path, first, plan.smooth
                    )
                values, bad = gathered[source]
                _reduce_into(
                    out,
                    idx,
                    red,
                    rows,
                    values,
                    bad,
                    nan_policy,
                    plan.smooth,
                    image.path,
                )
        if progress is not None:
            progress(first + block.shape[0] - start)
    return out


def stream_samples(
    image: SampledImage,
    reductions: Sequence[Reduction],
    *,
    start: int,
    nan_policy: str,
    chunk_bytes: int,
    progress: Callable[[int], None] | None = None,
) -> Streamed:
    """Read an image stored sample by sample once, in chunks of samples.

    Every reduction must be a mean over groups of samples (``groups``): each
    gets, from each chunk, the samples of its own that the chunk holds.
    ``progress`` is told the volumes done in proportion to the samples read.
    """
    out = _collecting(image, reductions, start, nan_policy)
    n_kept = image.n_volumes - start
    n_samples = max(image.domain.n_samples, 1)
    ordered = [np.argsort(r.voxels, kind="stable") for r in reductions]
    sorted_voxels = [r.voxels[o] for r, o in zip(reductions, ordered)]
    for first, block in image.sample_chunks(start=start, chunk_bytes=chunk_bytes):
        stop = first + block.shape[1]
        for idx, (order, voxels) in enumerate(zip(ordered, sorted_voxels)):
            lo, hi = np.searchsorted(voxels, [first, stop])
            if hi > lo:
                values = block[:, voxels[lo:hi] - first]
                out.means[idx].add(values, slice(None), order[lo:hi])
        if progress is not None:
            progress(n_kept * stop // n_samples)
    return out


def _add_volumes(out: Streamed, volumes: np.ndarray) -> None:
    """Add volumes to the running sum one at a time, in float64.

    Volume by volume, in order: the same additions as ``block.sum(axis=0,
    dtype=float64)`` over those volumes read at once.
    """
    for volume in volumes:
        np.add(out.volume_sum, volume, out=out.volume_sum)
    out.volumes_summed += len(volumes)


def _collecting(
    image: SampledImage, reductions: Sequence[Reduction], start: int, nan_policy: str
) -> Streamed:
    """Return empty outputs for every reduction, and running sums for group means."""
    n_kept = image.n_volumes - start
    return Streamed(
        outputs=[
            np.empty((n_kept, len(r.columns)), dtype=_collected_dtype(image, r))
            for r in reductions
        ],
        finite_voxels=[None] * len(reductions),
        means={
            idx: GroupMeans(r.groups, len(r.columns), n_kept, nan_policy)
            for idx, r in enumerate(reductions)
            if r.groups is not None
        },
    )


def _collected_dtype(image: SampledImage, red: Reduction) -> np.dtype:
    """Return the dtype outputs are collected in: the signals' own when they keep it."""
    return signal_dtype(image, red) if red.keep_float_dtype else np.dtype(red.dtype)


def _gather_checked(
    data: np.ndarray,
    smoothed: np.ndarray,
    red: Reduction,
    nan_policy: str,
    path: str,
    first: int,
    smooth: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return a reduction's values in this chunk and where they are not finite."""
    values = _gather(data, red.voxels)
    bad = _check_values(values, red, nan_policy, path, first)
    if smooth:  # smoothing has already zeroed non-finite voxels
        values = _gather(smoothed, red.voxels)
    return values, bad


def _check_values(
    values: np.ndarray, red: Reduction, nan_policy: str, path: str, first: int
) -> np.ndarray | None:
    """Return where a reduction's values are not finite (None: all are), or raise."""
    bad = None
    if red.non_finite == "zero":
        if not _all_finite(values):
            raise NonFiniteValues(path)
    elif nan_policy == "error":
        _check_finite(values, path, first)
    elif not _all_finite(values):
        bad = ~np.isfinite(values)
    return bad


def _reduce_into(
    out: Streamed,
    idx: int,
    red: Reduction,
    rows: slice,
    values: np.ndarray,
    bad: np.ndarray | None,
    nan_policy: str,
    smooth: bool,
    path: str,
) -> None:
    """Reduce one chunk's values into the reduction's rows, as its nan_policy says."""
    if bad is None:
        out.outputs[idx][rows] = red.reduce(values)
    elif nan_policy == "zero":  # nilearn's ensure_finite
        # smoothed values are already those of the zeroed volume
        zeroed = values if smooth else np.where(bad, 0, values)
        out.outputs[idx][rows] = red.reduce(zeroed)
    else:
        got, counts = _reduce_omitting(red, values, bad, path)
        out.outputs[idx][rows] = got
        low = counts.min(axis=0)
        old = out.finite_voxels[idx]
        out.finite_voxels[idx] = low if old is None else np.minimum(old, low)


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


def _all_finite(values: np.ndarray) -> bool:
    if values.dtype.kind != "f" or np.isfinite(values.sum()):
        return True
    return bool(np.isfinite(values).all())


def _check_finite(values: np.ndarray, path: str, first: int) -> None:
    """Raise InputFileError if ``values`` (one chunk's ROI voxels) hold NaN or inf."""
    if values.dtype.kind != "f" or np.isfinite(values.sum()):
        return  # one fast pass; a non-finite sum is rare, so look closer only then
    finite = np.isfinite(values).all(axis=1)
    if finite.all():
        return  # the float32 sum overflowed on large finite values
    bad = int(np.flatnonzero(~finite)[0]) + first
    raise InputFileError(
        "{file} has NaN or infinite values inside the ROI (first in volume "
        "{volume:volume}). Replace them (e.g. with 0) or mask them out with "
        "{--mask_img} before extraction.",
        file=path,
        volume=bad,
    )


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
