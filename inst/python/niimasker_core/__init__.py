"""niimasker_core: fast, nilearn-exact ROI and voxel timeseries from fMRI NIfTI images.

The public API is :func:`extract_timeseries`; the ``niimasker`` command and
the R package call it. Errors a user can cause are in :mod:`niimasker_core.errors`.
"""

from __future__ import annotations

from .api import extract_timeseries, nilearn_atlas
from .errors import NiimaskerError
from .maskers import (
    MultiNiftiLabelsMasker,
    MultiNiftiMapsMasker,
    MultiNiftiMasker,
    NiftiLabelsMasker,
    NiftiMapsMasker,
    NiftiMasker,
    NiftiSpheresMasker,
)
from .version import __version__

__all__ = [
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
    "NiimaskerError",
    "__version__",
    "extract_timeseries",
    "nilearn_atlas",
]
