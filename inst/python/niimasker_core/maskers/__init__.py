"""Drop-in scikit-learn maskers with nilearn's API, on the project's engine.

:class:`NiftiMasker` extracts voxel signals; :class:`NiftiLabelsMasker`,
:class:`NiftiSpheresMasker` and :class:`NiftiMapsMasker` region signals, and
the ``Multi`` variants lists of images. :class:`SurfaceMasker`,
:class:`SurfaceLabelsMasker`, :class:`SurfaceMapsMasker` and their ``Multi``
variants do the same on nilearn's ``SurfaceImage``
(:mod:`~niimasker_core.maskers.surface_base`). The shared design (parameters, inputs,
cleaning, caching) is in :mod:`~niimasker_core.maskers.base`, the region
maskers' ``transform`` in :mod:`~niimasker_core.maskers.regions`, and one image's
signals without scikit-learn (what ``Multi*`` workers run) in
:mod:`~niimasker_core.maskers.image_signals` and :mod:`~niimasker_core.maskers.region_job`.
"""

from __future__ import annotations

from importlib import import_module

# Each class in its module, imported on first use: a Multi* masker's worker
# imports only maskers.image_signals and maskers.region_job, never
# scikit-learn (whose import takes ~0.9 s).
_MODULES = {
    "MultiNiftiLabelsMasker": "multi",
    "MultiNiftiMapsMasker": "multi",
    "MultiNiftiMasker": "multi",
    "MultiSurfaceLabelsMasker": "multi_surface",
    "MultiSurfaceMapsMasker": "multi_surface",
    "MultiSurfaceMasker": "multi_surface",
    "NiftiLabelsMasker": "labels_masker",
    "NiftiMapsMasker": "maps_masker",
    "NiftiMasker": "nifti_masker",
    "NiftiSpheresMasker": "spheres_masker",
    "SurfaceLabelsMasker": "surface_labels_masker",
    "SurfaceMapsMasker": "surface_maps_masker",
    "SurfaceMasker": "surface_masker",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        return getattr(import_module(f".{_MODULES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
