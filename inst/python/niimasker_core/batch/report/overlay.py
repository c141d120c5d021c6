"""What the ROI overlay shows: an image's mean and each region's samples on its domain.

Both are one value per sample of the image's domain; the domain draws them
(:meth:`~niimasker_core.domains.base.Domain.draw_overlay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...domains.base import Domain, SampledImage
from ...engine import Reduction

__all__ = ["averaged_volumes", "mean_volume", "region_labels"]


def averaged_volumes(volumes: Sequence[int], max_volumes: int) -> list[int]:
    """Return the volumes the overlay averages: the first ``max_volumes`` kept, ascending."""
    return sorted(set(int(v) for v in volumes))[:max_volumes]


def mean_volume(
    image: SampledImage, volumes: Sequence[int], max_volumes: int = 20
) -> tuple[np.ndarray, int]:
    """Average the first ``max_volumes`` of ``volumes`` (kept volumes) of an image.

    Only the volumes up to the last one averaged are decompressed.

    Parameters
    ----------
    image : SampledImage
        The image.
    volumes : sequence of int
        0-based indices of the kept volumes, ascending.
    max_volumes : int
        How many of them to average.

    Returns
    -------
    mean : numpy.ndarray
        One float64 value per sample.
    n_used : int
        Number of volumes averaged.
    """
    wanted = np.asarray(averaged_volumes(volumes, max_volumes), dtype=int)
    total = np.zeros(image.domain.n_samples)
    if wanted.size == 0:
        return total, 0
    first, last = int(wanted[0]), int(wanted[-1])
    chunks = image.chunks(
        start=first,
        chunk_bytes=(last - first + 1) * image.volume_bytes,
        read_ahead=False,
    )
    for start, block in chunks:
        rows = wanted[(wanted >= start) & (wanted < start + len(block))] - start
        total += block[rows].sum(axis=0, dtype=np.float64)
        if start + len(block) > last:
            break
    chunks.close()
    return total / wanted.size, int(wanted.size)


def region_labels(
    roi: Any, reduction: Reduction, domain: Domain
) -> tuple[np.ndarray, list[str], str]:
    """Return each sample's region on the image's domain, numbered, as extraction used them.

    Parameters
    ----------
    roi : RoiSource
        The ROI source of the batch.
    reduction : Reduction
        ``roi.for_domain(domain)``.
    domain : Domain
        The image's domain.

    Returns
    -------
    labels : numpy.ndarray
        One int per sample: 0 outside, ``k`` in region ``names[k - 1]``.
    names : list of str
        The regions, in order.
    note : str
        How the samples were assigned (empty when exact).
    """
    # a source whose columns are the samples of one region (every voxel of a
    # mask) names that region for the drawing, not each of its samples
    names = getattr(roi, "overlay_names", None) or getattr(
        roi, "names", reduction.columns
    )
    names = list(names)
    if reduction.domain is not None and reduction.domain.key != domain.key:
        note = "The ROI grid differs from the image grid; regions are not drawn."
        return np.zeros(domain.n_samples, dtype=np.int32), names, note
    labels, note = roi.region_labels(reduction, domain)
    return labels, names, note
