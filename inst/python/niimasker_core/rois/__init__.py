"""ROIs: every kind of region definition, behind one registry.

A kind (labelled atlas or mask, spheres, probabilistic maps, ``nilearn:``
queries, every voxel of a mask) is one module with a ``load(request)``
function and one line in :data:`niimasker_core.rois.registry.KINDS`. Each
loaded set is a :class:`~niimasker_core.rois.base.RoiSource` that builds, for
an image's grid, the :class:`~niimasker_core.engine.Reduction` the engine
streams (:mod:`niimasker_core.rois.sets` loads the sets of a batch).
"""

__all__: list[str] = []
