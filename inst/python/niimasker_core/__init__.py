"""niimasker_core: fast, nilearn-exact ROI and voxel timeseries from fMRI NIfTI images.

The public API is :func:`extract_timeseries`, which returns an
:class:`ExtractionResult` (one :class:`ImageTimeseries`, a pandas DataFrame
plus its metadata, per image and ROI set), and :class:`NiftiMasker` (imported
on first use); the ``niimasker`` command and the R package call them. Errors a
user can cause are in :mod:`niimasker_core.errors`.
"""

from __future__ import annotations

from .api import extract_timeseries, nilearn_atlas
from .errors import NiimaskerError
from .results import ExtractionFailure, ExtractionResult, ImageTimeseries
from .version import __version__

__all__ = [
    "ExtractionFailure",
    "ExtractionResult",
    "ImageTimeseries",
    "NiftiMasker",
    "NiimaskerError",
    "__version__",
    "extract_timeseries",
    "nilearn_atlas",
]


def __getattr__(name: str):
    # NiftiMasker pulls in scikit-learn: imported on first use, so that the
    # command and the region API start as fast as before.
    if name == "NiftiMasker":
        from .maskers import NiftiMasker

        return NiftiMasker
    raise AttributeError(f"module 'niimasker_core' has no attribute {name!r}")
