"""Confounds as nilearn's maskers take them, with the image's high-variance confounds.

The drop-in maskers accept confounds as arrays, data frames, files or lists
of them, and both they and the batch's voxel extraction may add nilearn's
``high_variance_confounds`` of the image; :func:`stack_confounds` puts them
together as nilearn's ``signal.clean`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["stack_confounds"]


def stack_confounds(
    image: Any,
    n_volumes: int,
    confounds: Any,
    high_variance: bool,
    first_volume: int = 0,
) -> np.ndarray | None:
    """Stack high-variance confounds (if asked) and the given ones, as nilearn does.

    Parameters
    ----------
    image : str, nibabel image or numpy.ndarray
        The image (its high-variance confounds are computed by nilearn), or
        its samples as a ``(volumes, samples)`` array (a surface run).
    n_volumes : int
        Its volumes, discarded ones included.
    confounds : array-like, DataFrame, path, list of them or None
        The user's confounds.
    high_variance : bool
        Prepend ``nilearn.image.high_variance_confounds(image)``.
    first_volume : int
        Volumes before it were discarded (their high-variance rows are dropped).

    Returns
    -------
    numpy.ndarray or None
        ``(n_volumes, n_confounds)`` float regressors.
    """
    all_confounds = []
    if high_variance:
        if isinstance(image, np.ndarray):  # as nilearn.image does after reading
            from nilearn.signal import high_variance_confounds  # nilearn: when used
        else:
            from nilearn.image import high_variance_confounds  # nilearn: when used

        all_confounds.append(high_variance_confounds(image)[first_volume:])
    if confounds is not None:
        if isinstance(confounds, list):
            all_confounds += confounds
        else:
            all_confounds.append(confounds)
    if not all_confounds:
        return None
    from nilearn.signal import sanitize_confounds  # nilearn: when used

    return sanitize_confounds(n_volumes - first_volume, all_confounds)
