"""The meshes the report draws surface atlases on: fsaverage5, bundled with nilearn.

A surface run carries vertex values, not the mesh they lie on. A hemisphere
of 10242 vertices is fsaverage5 (fMRIPrep's ``space-fsaverage5``), whose
inflated mesh nilearn ships (no download); nilearn is imported only here,
when a report draws such a run. Other densities (fsLR 32k, toy meshes) have
no known mesh: the report says so in one line.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import nibabel as nib
import numpy as np

from ...domains.surface.grayordinates import CORTEX_LEFT, CORTEX_RIGHT

__all__ = ["FSAVERAGE5_VERTICES", "fsaverage5_inflated", "meshes_for"]

#: Vertices of one fsaverage5 hemisphere.
FSAVERAGE5_VERTICES = 10242
_HEMISPHERES = {CORTEX_LEFT: "left", CORTEX_RIGHT: "right"}


@functools.lru_cache(maxsize=2)
def fsaverage5_inflated(hemisphere: str) -> tuple[np.ndarray, np.ndarray]:
    """Return fsaverage5's inflated mesh of ``'left'`` or ``'right'`` (nilearn's copy).

    Returns
    -------
    coords : numpy.ndarray
        ``(10242, 3)`` float mm.
    faces : numpy.ndarray
        ``(20480, 3)`` int vertex numbers.
    """
    from nilearn.datasets import fetch_surf_fsaverage  # nilearn: only for the report

    path = fetch_surf_fsaverage("fsaverage5")[f"infl_{hemisphere}"]
    coords, faces = nib.load(path).agg_data(("pointset", "triangle"))
    return np.asarray(coords, dtype=np.float64), np.asarray(faces, dtype=np.int64)


def meshes_for(
    surfaces: Sequence[tuple[str, np.ndarray]],
) -> tuple[list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], str]:
    """Find the mesh of each cortical surface of a run, or say why there is none.

    Parameters
    ----------
    surfaces : sequence of (str, numpy.ndarray)
        Per surface structure: its CIFTI name and a label per vertex of its
        whole mesh (0 outside regions and where the image has no vertex).

    Returns
    -------
    meshes : list of (str, ndarray, ndarray, ndarray)
        ``(hemisphere, coords, faces, labels)`` for :func:`.surface_views.atlas_views`,
        left first; empty when a surface's mesh is unknown.
    words : str
        What is drawn, or why nothing is.
    """
    cortices = [(n, labels) for n, labels in surfaces if n in _HEMISPHERES]
    if not cortices:
        return [], (
            "No atlas picture: the run has no cortical surface to draw "
            "(the signals of each image are below)."
        )
    sizes = sorted({len(labels) for _, labels in cortices})
    if sizes != [FSAVERAGE5_VERTICES]:
        shown = " and ".join(str(n) for n in sizes)
        return [], (
            f"No atlas picture: the run's hemispheres have {shown} vertices, and "
            f"the report knows only fsaverage5's mesh ({FSAVERAGE5_VERTICES} "
            "vertices per hemisphere); the signals of each image are below."
        )
    meshes = []
    for name, labels in sorted(cortices, key=lambda c: c[0] != CORTEX_LEFT):
        hemisphere = _HEMISPHERES[name]
        coords, faces = fsaverage5_inflated(hemisphere)
        meshes.append((hemisphere, coords, faces, np.asarray(labels)))
    sides = " and ".join(m[0] for m in meshes)
    return meshes, (
        f"fsaverage5's inflated surface (nilearn's copy), {sides} hemisphere"
        f"{'s' if len(meshes) > 1 else ''}: lateral views above, medial below; "
        "grey is in no region (the medial wall, vertices the image lacks)"
    )
