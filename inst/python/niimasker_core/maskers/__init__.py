"""Drop-in scikit-learn maskers with nilearn's API, on the project's engine.

:class:`NiftiMasker` extracts voxel signals; the shared design (parameters,
inputs, cleaning, caching) is in :mod:`~niimasker_core.maskers.base`.
"""

from __future__ import annotations

from .nifti_masker import NiftiMasker

__all__ = ["NiftiMasker"]
