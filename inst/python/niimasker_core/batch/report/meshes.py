"""The meshes the report draws surface atlases on: fsaverage5, bundled with nilearn.

A surface run carries vertex values, not the mesh they lie on. A hemisphere
of 10242 vertices is fsaverage5 (fMRIPrep's ``space-fsaverage5``), whose
inflated mesh nilearn ships (no download); nilearn is imported only here,
when a report draws such a run. Other densities (fsLR 32k) are drawn on a
mesh the user gives (``surf_mesh``, a GIFTI ``.surf.gii`` pair); without one
the report says in one line why there is no picture.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Sequence
from pathlib import Path

import nibabel as nib
import numpy as np

from ...domains.surface.grayordinates import CORTEX_LEFT, CORTEX_RIGHT
from ...domains.surface.hemispheres import other_half, structure_of
from ...errors import ReportWarning

__all__ = [
    "FSAVERAGE5_VERTICES",
    "fsaverage5_inflated",
    "meshes_for",
    "read_surf_mesh",
]

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
    path = _bundled(f"infl_{hemisphere}.gii.gz")
    if path is None:  # another layout: ask nilearn (seconds to import)
        from nilearn.datasets import fetch_surf_fsaverage

        path = fetch_surf_fsaverage("fsaverage5")[f"infl_{hemisphere}"]
    coords, faces = nib.load(path).agg_data(("pointset", "triangle"))
    return np.asarray(coords, dtype=np.float64), np.asarray(faces, dtype=np.int64)


def _bundled(name: str) -> str | None:
    """Return the path of a fsaverage5 file in nilearn's package, without importing it.

    nilearn keeps fsaverage5 in ``nilearn/datasets/data/fsaverage5/`` (what
    its ``fetch_surf_fsaverage('fsaverage5')`` returns); importing
    ``nilearn.datasets`` to be told so takes seconds.
    """
    spec = importlib.util.find_spec("nilearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "fsaverage5" / name
        if path.is_file():
            return str(path)
    return None


def read_surf_mesh(path: str) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Read a GIFTI mesh and its other hemisphere's file, when it exists.

    Parameters
    ----------
    path : str
        One hemisphere's ``.surf.gii`` (``surf_mesh``).

    Returns
    -------
    meshes : dict
        ``(coords, faces)`` by CIFTI structure name; empty on a problem.
    problem : str
        Why the mesh could not be read ('' when it could).
    """
    other = other_half(path)
    files = [path] + ([other] if other and Path(other).is_file() else [])
    out = {}
    for file in files:
        try:
            image = nib.load(file)
            coords, faces = image.agg_data(("pointset", "triangle"))
        except Exception as exc:  # any unreadable file is said in the report
            return {}, f"'surf_mesh' '{file}' is not a readable GIFTI mesh ({exc})"
        if coords is None or faces is None:
            return {}, f"'surf_mesh' '{file}' holds no mesh (points and triangles)"
        meta = dict(image.meta) | dict(image.darrays[0].meta)
        structure = structure_of(file, meta.get("AnatomicalStructurePrimary"))
        if structure not in _HEMISPHERES:
            return {}, (
                f"'surf_mesh' '{file}' says neither by its metadata nor by its "
                "name (hemi-L/hemi-R, lh./rh., .L./.R.) which hemisphere it is"
            )
        out[structure] = (
            np.asarray(coords, dtype=np.float64),
            np.asarray(faces, dtype=np.int64),
        )
    return out, ""


def meshes_for(
    surfaces: Sequence[tuple[str, np.ndarray]], surf_mesh: str | None = None
) -> tuple[list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], str]:
    """Find the mesh of each cortical surface of a run, or say why there is none.

    Parameters
    ----------
    surfaces : sequence of (str, numpy.ndarray)
        Per surface structure: its CIFTI name and a label per vertex of its
        whole mesh (0 outside regions and where the image has no vertex).
    surf_mesh : str or None
        A GIFTI mesh given by the user (one hemisphere's file, which brings
        the other's); None: fsaverage5, for runs with its vertex count.

    Returns
    -------
    meshes : list of (str, ndarray, ndarray, ndarray)
        ``(hemisphere, coords, faces, labels)`` for :func:`.surface_views.atlas_views`,
        left first; empty when a surface's mesh is unknown.
    words : str
        What is drawn, or why nothing is (one sentence).
    """
    cortices = sorted(
        ((n, labels) for n, labels in surfaces if n in _HEMISPHERES),
        key=lambda c: c[0] != CORTEX_LEFT,
    )
    if not cortices:
        return [], (
            "No atlas picture: the run has no cortical surface to draw "
            "(the signals of each image are below)."
        )
    if surf_mesh:
        found, problem = read_surf_mesh(surf_mesh)
        what = f"the mesh '{surf_mesh}' ('surf_mesh')"
    else:
        found, problem = _fsaverage5(cortices)
        what = "fsaverage5's inflated surface (nilearn's copy)"
    meshes = []
    for name, labels in cortices:
        side = _HEMISPHERES[name]
        if problem:
            break
        if name not in found:
            problem = f"'surf_mesh' gives no {side} hemisphere (the run has one)"
            break
        coords, faces = found[name]
        if len(coords) != len(labels):
            problem = (
                f"'surf_mesh' has {len(coords)} vertices in its {side} hemisphere, "
                f"the run {len(labels)}: give the mesh the run is sampled on"
            )
            break
        meshes.append((side, coords, faces, np.asarray(labels)))
    if problem and surf_mesh:  # the user asked for a picture: say why not
        warnings.warn(
            ReportWarning("Report: no atlas picture: {problem:text}.", problem=problem),
            stacklevel=2,
        )
    if problem:
        return [], f"No atlas picture: {problem}; the signals of each image are below."
    sides = " and ".join(m[0] for m in meshes)
    return meshes, (
        f"{what}, {sides} hemisphere{'s' if len(meshes) > 1 else ''}: lateral "
        "views above, medial below; grey is in no region (the medial wall, "
        "vertices the image lacks)"
    )


def _fsaverage5(
    cortices: Sequence[tuple[str, np.ndarray]],
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Return fsaverage5's inflated meshes when every cortex has its vertex count."""
    sizes = sorted({len(labels) for _, labels in cortices})
    if sizes != [FSAVERAGE5_VERTICES]:
        shown = " and ".join(str(n) for n in sizes)
        return {}, (
            f"the run's hemispheres have {shown} vertices, and without 'surf_mesh' "
            f"the report knows only fsaverage5's mesh ({FSAVERAGE5_VERTICES} "
            "vertices per hemisphere)"
        )
    return {n: fsaverage5_inflated(_HEMISPHERES[n]) for n, _ in cortices}, ""
