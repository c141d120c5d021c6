"""Drop-in scikit-learn maskers with nilearn's API, on the project's engine.

:class:`NiftiMasker` extracts voxel signals; :class:`NiftiLabelsMasker`,
:class:`NiftiSpheresMasker` and :class:`NiftiMapsMasker` region signals, and
the ``Multi`` variants lists of images. :class:`SurfaceMasker`,
:class:`SurfaceLabelsMasker`, :class:`SurfaceMapsMasker` and their ``Multi``
variants do the same on nilearn's ``SurfaceImage``
(:mod:`~niimasker_core.maskers.surface_base`). The shared design (parameters, inputs,
cleaning, caching) is in :mod:`~niimasker_core.maskers.base`, the region
maskers' ``transform`` in :mod:`~niimasker_core.maskers.regions`.
"""

from __future__ import annotations

from .labels_masker import NiftiLabelsMasker
from .maps_masker import NiftiMapsMasker
from .multi import MultiNiftiLabelsMasker, MultiNiftiMapsMasker, MultiNiftiMasker
from .multi_surface import (
    MultiSurfaceLabelsMasker,
    MultiSurfaceMapsMasker,
    MultiSurfaceMasker,
)
from .nifti_masker import NiftiMasker
from .spheres_masker import NiftiSpheresMasker
from .surface_labels_masker import SurfaceLabelsMasker
from .surface_maps_masker import SurfaceMapsMasker
from .surface_masker import SurfaceMasker

__all__ = [
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
    "SurfaceLabelsMasker",
    "SurfaceMapsMasker",
    "SurfaceMasker",
]
