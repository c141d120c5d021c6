"""What every image of a batch is processed with: its settings, options and ROI sets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..params.options import RunOptions
from ..params.settings import Settings
from ..rois.sets import RoiSet

__all__ = ["Job"]


@dataclass(frozen=True)
class Job:
    """One batch's work, the same for every image (sent once to each worker).

    Attributes
    ----------
    settings : Settings
        The batch's settings: fingerprinted and recorded in each sidecar.
    options : RunOptions
        The settings split into each room's options.
    sets : tuple of RoiSet
        The ROI sets, every one reduced from one read of each image.
    """

    settings: Settings
    options: RunOptions
    sets: tuple[RoiSet, ...]

    def own_settings(self, roi_set: RoiSet) -> Settings:
        """Return a set's settings: the batch's with its own ``roi_file``, labels and mask.

        A set of several is recorded as a run of it alone would record it.
        """
        own = roi_set.options
        if own is None:
            return self.settings
        return dataclasses.replace(
            self.settings,
            roi_file=own.roi_file,
            labels=own.labels,
            mask_img=own.mask_img,
        )

    def recorded(self, roi_set: RoiSet) -> dict[str, Any]:
        """Return the parameters a set's sidecar records (its own labels and mask)."""
        return self.own_settings(roi_set).recorded()

    @property
    def space(self) -> Any:
        """The space whose elements are the columns (every voxel of a mask), or None."""
        return self.sets[0].source.space if len(self.sets) == 1 else None
