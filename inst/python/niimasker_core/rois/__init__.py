"""ROIs: turn ``roi_file`` (and its companions) into a :class:`RoiSource`.

One module per ROI kind; :func:`load_rois` picks the kind from ``roi_file``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ImageNotFoundError, RoiError
from ..settings import Settings
from .base import Grid, Reduction, RoiSource
from .label_image import LabelImage

__all__ = ["Grid", "Reduction", "RoiSource", "load_rois"]


def load_rois(settings: Settings) -> RoiSource:
    """Load the ROI definition named by ``settings.roi_file``.

    Parameters
    ----------
    settings : Settings
        Validated settings; ``roi_file``, ``labels``, ``mask_img``,
        ``strategy`` and ``as_voxels`` are used here.

    Returns
    -------
    RoiSource
        An object that builds a reduction for each image grid.

    Raises
    ------
    RoiError
        If ``roi_file`` is missing or cannot define regions.
    ImageNotFoundError
        If ``roi_file`` does not exist.
    """
    roi_file = settings.roi_file
    if roi_file is None:
        raise RoiError(
            "'roi_file' is required: an atlas or mask NIfTI, a coordinates .tsv, or "
            "a query such as 'nilearn:schaefer:400-17-2' (-r/--roi_file)."
        )
    if not Path(roi_file).is_file():
        raise ImageNotFoundError(f"'roi_file' not found: '{roi_file}'.")
    return LabelImage(
        roi_file,
        labels=settings.labels,
        mask_img=settings.mask_img,
        strategy=settings.strategy,
        as_voxels=settings.as_voxels,
    )
