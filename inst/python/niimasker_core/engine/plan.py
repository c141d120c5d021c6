"""Before the stream: which reductions share a domain, a gather, and how to clip.

Reductions are grouped by the domain they read (the image's own, or one to
resample each volume to); reductions on one domain reading the same samples
(an atlas and its coarser merge) share one gather and one finiteness check
per chunk. nilearn resamples a whole image at once and clips the result to
the image's value range (``resample_img(clip=True)``): that range is tracked
over the stream and applied at the end when clipping commutes with the
reduction (voxel gathers), and otherwise read in a first pass.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from ..domains.base import Domain, SampledImage
from .reduction import Reduction

__all__ = ["StreamPlan", "plan_stream"]


@dataclass(frozen=True)
class StreamPlan:
    """How one image is streamed through its reductions.

    Attributes
    ----------
    groups : dict
        Domain key -> indices of the reductions reading that domain.
    domains : dict
        Domain key -> the domain (the image's own under ``image_key``).
    image_key : hashable
        The key of the image's own domain.
    shared : list of int
        For each reduction, the first reduction of its group reading the same
        samples (itself when none): their gathers are shared.
    smooth : bool
        Volumes are smoothed before gathering.
    bounds : tuple of float or None
        nilearn's clipping range of resampled values, read in a first pass.
    clip_after : bool
        Resampled voxel gathers are clipped after the stream, to the range
        seen while streaming.
    """

    groups: dict[Hashable, list[int]]
    domains: dict[Hashable, Domain]
    image_key: Hashable
    shared: list[int]
    smooth: bool
    bounds: tuple[float, float] | None
    clip_after: bool

    @property
    def resampled(self) -> list[Hashable]:
        """Keys of the domains each volume is resampled to."""
        return [k for k in self.groups if k != self.image_key]


def plan_stream(
    image: SampledImage,
    reductions: Sequence[Reduction],
    *,
    smoothing_fwhm: float | None,
    start: int,
    chunk_bytes: int,
) -> StreamPlan:
    """Group the reductions by domain and decide how resampled values are clipped.

    Parameters
    ----------
    image : SampledImage
        The image to stream.
    reductions : sequence of Reduction
        What to compute.
    smoothing_fwhm : float or None
        Smoothing in mm (checked against the image's domain).
    start : int
        First volume streamed (after discarded ones).
    chunk_bytes : int
        Bytes per chunk, for the first pass when there is one.

    Returns
    -------
    StreamPlan
        The groups, shared gathers and clipping.

    Raises
    ------
    SettingsError
        If the domain refuses the smoothing kernel.
    """
    own = image.domain
    groups: dict[Hashable, list[int]] = {}
    domains: dict[Hashable, Domain] = {own.key: own}
    for idx, red in enumerate(reductions):
        domain = own if red.domain is None else red.domain
        groups.setdefault(domain.key, []).append(idx)
        domains.setdefault(domain.key, domain)
    smooth = smoothing_fwhm is not None and smoothing_fwhm > 0
    if smooth:
        own.check_kernel(smoothing_fwhm, image.path)
    resampled = [k for k in groups if k != own.key]
    # Clipping commutes only with voxel gathers: a region mean or a map fit of
    # resampled values needs the range before the stream.
    first_pass = smooth or not all(
        reductions[idx].elementwise for key in resampled for idx in groups[key]
    )
    bounds = (
        _value_range(image, start, chunk_bytes) if resampled and first_pass else None
    )
    return StreamPlan(
        groups=groups,
        domains=domains,
        image_key=own.key,
        shared=_same_voxels(reductions, groups),
        smooth=smooth,
        bounds=bounds,
        clip_after=bool(resampled) and bounds is None,
    )


def _value_range(
    image: SampledImage, start: int, chunk_bytes: int
) -> tuple[float, float]:
    """Return nilearn's clipping range of the streamed volumes (one extra pass)."""
    low, high = np.inf, -np.inf
    for _, block in image.chunks(start=start, chunk_bytes=chunk_bytes):
        low, high = min(low, np.nanmin(block)), max(high, np.nanmax(block))
    return min(float(low), 0.0), max(float(high), 0.0)


def _same_voxels(
    reductions: Sequence[Reduction], groups: dict[Hashable, list[int]]
) -> list[int]:
    """Map each reduction to the first one of its group reading the same samples."""
    same = list(range(len(reductions)))
    for members in groups.values():
        for pos, idx in enumerate(members):
            for earlier in members[:pos]:
                if same[earlier] == earlier and np.array_equal(
                    reductions[idx].voxels, reductions[earlier].voxels
                ):
                    same[idx] = earlier
                    break
    return same
