"""After the stream: clip resampled gathers, check gaps, and give signals their dtype."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..domains.base import SampledImage
from .group_means import omit_gap_error
from .plan import StreamPlan
from .reduction import Reduction, signal_dtype
from .stream import Streamed

__all__ = ["Extracted", "finish"]


@dataclass
class Extracted:
    """Raw (uncleaned) signals of one image for each reduction."""

    signals: list[np.ndarray]  # one (n_volumes_kept, n_columns) array per reduction
    first_volume: int  # volumes before it were discarded
    # nan_policy="omit": per reduction, the smallest number of finite voxels of
    # each column over the volumes (None when every voxel was finite)
    finite_voxels: list[np.ndarray | None] = field(default_factory=list)
    # means over groups of samples: per reduction, the samples of each column
    # with signal in the run (the others are left out); None for other reductions
    samples_used: list[np.ndarray | None] = field(default_factory=list)
    # reductions with non_finite="zero": NaN or infinities were read as 0
    zeroed_non_finite: bool = False
    # mean_volumes: the mean of volumes first_volume, first_volume + 1, ... (float64,
    # one value per sample, NaN kept) and how many; None when not asked
    volume_mean: tuple[np.ndarray, int] | None = None


def finish(
    image: SampledImage,
    reductions: Sequence[Reduction],
    plan: StreamPlan | None,
    streamed: Streamed,
    start: int,
) -> Extracted:
    """Divide group means, clip resampled voxel gathers, refuse gaps, cast each signal.

    Raises
    ------
    InputFileError
        If ``nan_policy="omit"`` leaves a region with no finite voxel in some
        volumes but not all.
    """
    outputs = streamed.outputs
    used: list[np.ndarray | None] = [None] * len(reductions)
    for idx, means in streamed.means.items():
        outputs[idx], used[idx], streamed.finite_voxels[idx] = means.finish(
            image.path, list(reductions[idx].columns), start
        )
    if plan is not None and plan.clip_after:
        low = min(float(streamed.seen[0]), 0.0)
        high = max(float(streamed.seen[1]), 0.0)
        for key in plan.resampled:
            for idx in plan.groups[key]:  # voxel gathers only: clipping is elementwise
                np.clip(outputs[idx], low, high, out=outputs[idx])
    for idx, (red, out, counts) in enumerate(
        zip(reductions, outputs, streamed.finite_voxels)
    ):
        if counts is not None and idx not in streamed.means:
            _check_some_finite(red, out, image.path, start)
    return Extracted(
        signals=[
            out.astype(signal_dtype(image, red), copy=False)
            for red, out in zip(reductions, outputs)
        ],
        first_volume=start,
        finite_voxels=streamed.finite_voxels,
        samples_used=used,
        volume_mean=(
            None
            if streamed.volume_sum is None or not streamed.volumes_summed
            else (
                streamed.volume_sum / streamed.volumes_summed,
                streamed.volumes_summed,
            )
        ),
    )


def _check_some_finite(red: Reduction, out: np.ndarray, path: str, first: int) -> None:
    """Raise if a region loses every voxel in some volumes but not all of them."""
    lost = np.isnan(out)
    partial = lost.any(axis=0) & ~lost.all(axis=0)
    if partial.any():
        column = int(np.flatnonzero(partial)[0])
        volume = int(np.flatnonzero(lost[:, column])[0]) + first
        raise omit_gap_error(red.columns[column], volume, path, "voxel")
