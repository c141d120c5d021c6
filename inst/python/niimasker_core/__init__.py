"""niimasker_core: fast, nilearn-exact ROI and voxel timeseries from fMRI NIfTI images.

The public API is :func:`extract_timeseries`, which returns an
:class:`ExtractionResult` (one :class:`ImageTimeseries`, a pandas DataFrame
plus its metadata, per image and ROI set), :func:`read_timeseries`, which
reads a written folder back into one, and the drop-in maskers such as
:class:`NiftiMasker` and :class:`SurfaceLabelsMasker` (imported on first
use); the ``niimasker`` command and the R package call them. Errors a user can cause are in
:mod:`niimasker_core.errors`. How the package is laid out:
``docs/architecture.md``.
"""

from __future__ import annotations

from .batch.results import ExtractionFailure, ExtractionResult, ImageTimeseries
from .errors import NiimaskerError
from .faces.api import extract_timeseries, nilearn_atlas, read_timeseries
from .version import __version__

#: The drop-in maskers, imported on first use (they pull in scikit-learn).
_MASKERS = (
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
    "MultiSurfaceLabelsMasker",
    "MultiSurfaceMapsMasker",
    "MultiSurfaceMasker",
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "SurfaceMasker",
)

__all__ = [
    "ExtractionFailure",
    "ExtractionResult",
    "ImageTimeseries",
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
    "NiimaskerError",
    "MultiSurfaceLabelsMasker",
    "MultiSurfaceMapsMasker",
    "MultiSurfaceMasker",
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "SurfaceMasker",
    "__version__",
    "extract_timeseries",
    "nilearn_atlas",
    "read_timeseries",
]


def __getattr__(name: str):
    # The maskers pull in scikit-learn: imported on first use, so that the
    # command and the region API start as fast as before.
    if name in _MASKERS:
        from . import maskers

        return getattr(maskers, name)
    raise AttributeError(f"module 'niimasker_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily imported maskers are listed too (dir(), tab completion).
    return sorted(set(globals()) | set(__all__))
