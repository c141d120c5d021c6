"""niimasker: the import name of the ``niimasker`` distribution.

``import niimasker`` gives the public API of :mod:`niimasker_core` (the
package that holds the code, also used by the R package and the command), so
the name a user installs is the name they import::

    import niimasker

    result = niimasker.extract_timeseries(...)
    masker = niimasker.NiftiLabelsMasker(labels_img)

The objects are niimasker_core's own; the drop-in maskers are imported on
first use, as in :mod:`niimasker_core`.
"""

from __future__ import annotations

import niimasker_core as _core
from niimasker_core import (
    ExtractionFailure,
    ExtractionResult,
    ImageTimeseries,
    NiimaskerError,
    __version__,
    errors,
    extract_timeseries,
    nilearn_atlas,
    read_timeseries,
)

# niimasker_core.__all__ (tests/python/test_distribution.py checks they agree).
__all__ = [
    "ExtractionFailure",
    "ExtractionResult",
    "ImageTimeseries",
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "MultiSurfaceLabelsMasker",
    "MultiSurfaceMapsMasker",
    "MultiSurfaceMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
    "NiimaskerError",
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "SurfaceMasker",
    "__version__",
    "errors",
    "extract_timeseries",
    "nilearn_atlas",
    "read_timeseries",
]


def __getattr__(name: str):
    # The maskers are imported on first use (scikit-learn), by niimasker_core.
    if name in _core.__all__:
        return getattr(_core, name)
    raise AttributeError(f"module 'niimasker' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
