"""The confounds of one image aligned to the volumes kept after ``discard_scans``.

:func:`align_confounds` is what the batch calls per image: the choice of
confounds (:mod:`.selection`) applied to the image's confounds file, with
the leading volumes dropped once and the censored ones marked, ready for
cleaning and for the sidecar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..params.options import ConfoundOptions
from .selection import check_volumes_left, load_confounds_for_image
from .strategies import ConfoundSpec

__all__ = ["AlignedConfounds", "align_confounds"]


@dataclass
class AlignedConfounds:
    """The confounds of one image aligned to the volumes kept after ``discard_scans``.

    Attributes
    ----------
    values : numpy.ndarray or None
        ``(n_volumes - discard_scans, n_columns)``, or None (no regressors).
    sample_mask : numpy.ndarray or None
        Indices (into the kept volumes) of the volumes cleaning keeps; None
        keeps all of them.
    interpolate : bool
        Censored volumes are interpolated back into the output.
    volumes : numpy.ndarray
        0-based image index of each output row.
    censored : list of int
        0-based image indices of the censored volumes.
    n_kept : int
        Volumes after ``discard_scans``, censored ones included.
    columns : list of str
        The confound columns.
    details : dict
        JSON-ready facts for the sidecar.
    discard : int
        Leading volumes dropped (``discard_scans``, resolved when ``'auto'``).
    """

    values: np.ndarray | None
    sample_mask: np.ndarray | None
    interpolate: bool
    volumes: np.ndarray
    censored: list[int]
    n_kept: int
    columns: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    discard: int = 0


def align_confounds(
    path: str | None,
    options: ConfoundOptions,
    n_volumes: int,
    *,
    image: str,
    spec: ConfoundSpec | None = None,
) -> AlignedConfounds:
    """Return the confounds and sample mask of one image, aligned to its kept volumes.

    ``discard_scans`` is applied here, once: the values and the sample mask
    both start at the first kept volume, ready for cleaning.

    Parameters
    ----------
    path : str or None
        The image's confounds file; None when there is none.
    options : ConfoundOptions
        The batch's choice of confounds.
    n_volumes : int
        Volumes in the image.
    image : str
        The image path, for messages.
    spec : ConfoundSpec, optional
        The batch's resolved confound specification.

    Returns
    -------
    AlignedConfounds
        Values, sample mask, interpolation decision and output volumes.

    Raises
    ------
    TooFewVolumesError
        If ``discard_scans`` leaves no volume, or too few remain to regress.
    ConfoundsError
        If the confounds do not fit the image.
    """
    fixed = 0 if options.discard_scans == "auto" else options.discard_scans
    check_volumes_left(n_volumes, fixed, n_volumes - fixed, 0, False, image, None)
    if path is None:  # 'auto' without a confounds file drops nothing
        all_volumes = np.arange(fixed, n_volumes)
        return AlignedConfounds(
            None, None, False, all_volumes, [], len(all_volumes), discard=fixed
        )
    selection = load_confounds_for_image(
        path, options, n_volumes, image=image, spec=spec
    )
    first = selection.discard
    all_volumes = np.arange(first, n_volumes)
    values = None if selection.values is None else selection.values[first:]
    sample_mask = None
    if selection.sample_mask is not None:
        kept = np.asarray(selection.sample_mask)
        sample_mask = kept[kept >= first] - first
        if len(sample_mask) == n_volumes - first:
            sample_mask = None  # nothing censored after the discarded scans
    interpolate = options.output_volumes == "interpolated" and sample_mask is not None
    censored: list[int] = []
    volumes = all_volumes
    if sample_mask is not None:
        censored = [int(v) for v in np.setdiff1d(all_volumes, all_volumes[sample_mask])]
        if not interpolate:
            volumes = all_volumes[sample_mask]
    return AlignedConfounds(
        values=values,
        sample_mask=sample_mask,
        interpolate=interpolate,
        volumes=volumes,
        censored=censored,
        n_kept=len(all_volumes),
        columns=list(selection.columns),
        details=dict(selection.details),
        discard=first,
    )
