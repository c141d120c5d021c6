"""What one image gives the batch: its timeseries per ROI set, or why it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Failure", "ImageResult", "Outcome"]


@dataclass
class ImageResult:
    """The cleaned timeseries of one image and ROI set, and what was done to get them."""

    image: str
    stem: str
    columns: list[str]
    values: np.ndarray  # (n_output_volumes, n_columns), the cleaning's float dtype
    volumes: list[int]  # 0-based index in the image of each output row
    t_r: float | None
    sidecar: dict[str, Any]
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0  # time spent on the image (0 when skipped)
    atlas: str | None = None  # the ROI set's name when there are several
    skipped: bool = False  # outputs were already complete: read back, not redone
    # connectivity matrices by kind (signal.connectivity.Connectome)
    connectivity: dict[str, Any] = field(default_factory=dict)
    names: Any = None  # its ROI set's OutputNames, once known (written or read back)
    # the mean of its first volumes read, for the report's overlay, and their
    # indices in the image (RunPlan.report_mean); None when not made
    volume_mean: tuple[np.ndarray, list[int]] | None = None


@dataclass
class Failure:
    """An image that could not be processed."""

    image: str
    error_type: str
    message: str
    exception: BaseException
    seconds: float = 0.0


#: What one image gives: its results (one per ROI set), or why it failed.
Outcome = list[ImageResult] | Failure
