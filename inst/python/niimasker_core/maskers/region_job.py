"""One image's region signals as a plain job: built by the masker, run anywhere.

A region masker resolves everything that depends on itself (the regions on
the image's grid, the cleaning, the output dtype) into a :class:`RegionJob`;
:func:`run_region_job` then streams, reduces and cleans the image. A
``Multi*`` masker with ``n_jobs`` sends the jobs to its worker processes,
which import only this module and :mod:`~niimasker_core.maskers.image_signals`
(no scikit-learn), where sending the masker itself would import it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Reduction
from ..params.options import CleaningOptions
from .image_signals import ImageInput, clean_regions, extract_regions

__all__ = ["Columns", "RegionJob", "run_region_job"]


@dataclass(frozen=True)
class Columns:
    """What becomes of the raw signals' columns before cleaning, as nilearn does.

    Attributes
    ----------
    zeroed : numpy.ndarray
        Columns set to 0 (regions with no voxel left, maps that are empty).
    kept : numpy.ndarray or None
        Columns kept, in order (None: all).
    """

    zeroed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    kept: np.ndarray | None = None

    def __call__(self, signals: np.ndarray) -> np.ndarray:
        """Return ``signals`` with :attr:`zeroed` set to 0 and only :attr:`kept`."""
        if len(self.zeroed):
            signals[:, self.zeroed] = 0
        return signals if self.kept is None else signals[:, self.kept]


@dataclass
class RegionJob:
    """One image to turn into cleaned region signals; every part picklable.

    Attributes
    ----------
    image : ImageInput
        The image (a file is streamed in the process that runs the job).
    reduction : Reduction
        The regions on the image's grid (or on ``reduction.domain``).
    columns : Columns
        Applied to the raw signals.
    smoothing_fwhm : float or None
        Smoothing before the reduction.
    chunk_bytes : int
        Raw bytes streamed per chunk.
    imports : tuple of str
        Modules the cleaning will import, loaded while the image streams.
    t_r : float or None
        The repetition time.
    cleaning : CleaningOptions
        The cleaning.
    confounds, sample_mask : Any
        As given to ``transform`` for this image.
    dtype : numpy.dtype or None
        The output's dtype (None: as cleaned).
    squeeze : bool
        Return a 3D image's single volume as 1D.
    """

    image: ImageInput
    reduction: Reduction
    columns: Columns
    smoothing_fwhm: float | None
    chunk_bytes: int
    imports: tuple[str, ...]
    t_r: float | None
    cleaning: CleaningOptions
    confounds: Any
    sample_mask: Any
    dtype: np.dtype | None
    squeeze: bool


def run_region_job(job: RegionJob) -> np.ndarray:
    """Return the cleaned ``(n_volumes, n_columns)`` region signals of ``job``'s image.

    Parameters
    ----------
    job : RegionJob
        What to extract and how.

    Returns
    -------
    numpy.ndarray
        In ``job.dtype``; 1D when ``job.squeeze``.
    """
    signals = extract_regions(
        job.image, job.reduction, job.smoothing_fwhm, job.chunk_bytes, job.imports
    )
    signals = clean_regions(
        np.ascontiguousarray(job.columns(signals)),
        job.image,
        job.t_r,
        job.cleaning,
        job.confounds,
        job.sample_mask,
    )
    if job.dtype is not None:
        signals = signals.astype(job.dtype, copy=False)
    return signals.squeeze() if job.squeeze else signals
