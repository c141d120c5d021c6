"""Drop-in scikit-learn maskers with nilearn's API, on the project's engine.

:class:`NiftiMasker` extracts voxel signals; :class:`NiftiLabelsMasker`,
:class:`NiftiSpheresMasker` and :class:`NiftiMapsMasker` region signals, and
the ``Multi`` variants lists of images. The shared design (parameters, inputs,
cleaning, caching) is in :mod:`~niimasker_core.maskers.base`, the region
maskers' ``transform`` in :mod:`~niimasker_core.maskers.regions`.
"""

from __future__ import annotations

from .labels_masker import NiftiLabelsMasker
from .maps_masker import NiftiMapsMasker
from .multi import MultiNiftiLabelsMasker, MultiNiftiMapsMasker, MultiNiftiMasker
from .nifti_masker import NiftiMasker
from .spheres_masker import NiftiSpheresMasker

__all__ = [
    "MultiNiftiLabelsMasker",
    "MultiNiftiMapsMasker",
    "MultiNiftiMasker",
    "NiftiLabelsMasker",
    "NiftiMapsMasker",
    "NiftiMasker",
    "NiftiSpheresMasker",
]
